/**
 * Issue 14, holes 1, 6 and 10, through ai-chat-message and the shared modules, against the migrated database and the
 * fake providers: the tier's models and max_tokens ceiling (private.ai_model_allowance), the history sent per
 * request, nothing the database would refuse reaching a paid provider call, and rate limits for known actions only.
 */
import assert from "node:assert/strict";
import { createHandler } from "../../functions/ai-chat-message/handler.ts";
import { MAX_CONTENT_CHARACTERS } from "../../functions/ai-chat-message/request.ts";
import { fitHistory } from "../../functions/_shared/ai/history.ts";
import { createDatabase } from "../../functions/_shared/db.ts";
import type { HttpError } from "../../functions/_shared/errors.ts";
import { enforceRateLimit } from "../../functions/_shared/rate_limit.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

const NAME = "ai-chat-message";
// JSON answers are checked field by field; typing each shape would only restate the assertions.
// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

async function chat(world: TestWorld, user: TestUser, body: unknown): Promise<{ status: number; body: Loose }> {
  const handler = createHandler(world.env);
  try {
    const response = await handler.fetch(request(NAME, { token: user.token, body }));
    return { status: response.status, body: await response.json() };
  } finally {
    await handler.close();
  }
}

async function savedMessages(world: TestWorld, conversationId: string): Promise<Loose[]> {
  const rows = await world.sql`
    select role, content from public.messages where conversation_id = ${conversationId} order by created_at`;
  return rows.map((row) => ({ ...row }));
}

Deno.test("hole 1: a model the user's tier does not include is refused with 403, before any provider call", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);

  const answer = await chat(world, user, {
    conversation_id: conversationId,
    content: "Hi",
    model_provider: "openai",
    model_name: "o1-pro",
  });

  assert.equal(answer.status, 403, JSON.stringify(answer.body));
  assert.equal(answer.body.error.code, "model_not_allowed");
  assert.match(
    answer.body.error.message,
    /free tier does not include model o1-pro of openai; choose one of .*gpt-4o-mini/,
  );
  assert.equal(world.ai.openai.requests.length, 0);
  assert.deepEqual(await savedMessages(world, conversationId), []);
});

Deno.test("hole 1: a conversation's own model outside the tier is refused the same way", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);
  // conversations.model_name is the user's to write through the Data API.
  await world.sql`
    update public.conversations set model_provider = 'claude', model_name = 'claude-opus-4-1'
    where id = ${conversationId}`;

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 403, JSON.stringify(answer.body));
  assert.equal(world.ai.anthropic.requests.length, 0);
});

Deno.test("hole 1: max_tokens is cut to the tier's ceiling (a configuration kept from a higher tier)", async () => {
  await using world = await startWorld();
  const user = await world.createUser({ tier: "business" });
  await world.sql`update public.ai_model_configs set max_tokens = 8192 where user_id = ${user.id}`;
  await world.sql`update public.profiles set subscription_tier = 'free' where id = ${user.id}`;
  const conversationId = await world.createConversation(user.id);

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(world.ai.openai.completions[0].body?.max_completion_tokens, 2000);
});

Deno.test("hole 1: the history sent is the newest messages within the tier's character budget", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);
  // 30 stored messages of 5,000 characters: 150,000 characters; the free tier sends at most 24,000.
  await world.sql`
    insert into public.messages (conversation_id, user_id, role, content, created_at)
    select ${conversationId}, ${user.id}, 'user', lpad(g::text, 5000, '.'), now() - (31 - g) * interval '1 second'
    from generate_series(1, 30) g`;

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Summarise" });

  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const sent = world.ai.openai.completions[0].body?.messages as { role: string; content: string }[];
  const history = sent.slice(0, -1);
  assert.equal(history.length, 4, "four whole messages of 5,000 characters fit in 24,000");
  assert.deepEqual(history.map((m) => Number(m.content.replaceAll(".", ""))), [27, 28, 29, 30], "the newest ones");
  assert.equal(sent.at(-1)?.content, "Summarise");
});

Deno.test("hole 1: a stored message larger than the whole budget is left out, with everything older", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);
  await world.sql`
    insert into public.messages (conversation_id, user_id, role, content, created_at) values
      (${conversationId}, ${user.id}, 'user', 'oldest', now() - interval '3 minutes'),
      (${conversationId}, ${user.id}, 'assistant', repeat('x', 300000), now() - interval '2 minutes'),
      (${conversationId}, ${user.id}, 'user', 'newest', now() - interval '1 minute')`;

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Go on" });

  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const sent = world.ai.openai.completions[0].body?.messages as { role: string; content: string }[];
  assert.deepEqual(sent.map((m) => m.content), ["newest", "Go on"]);
});

Deno.test("fitHistory keeps the newest whole messages, and the system prompt counts against the budget", () => {
  const history = [
    { role: "user" as const, content: "a".repeat(10) },
    { role: "assistant" as const, content: "b".repeat(10) },
    { role: "user" as const, content: "c".repeat(10) },
  ];
  assert.deepEqual(fitHistory(history, undefined, 25).history, history.slice(1));
  const withSystem = fitHistory(history, "s".repeat(6), 25);
  assert.deepEqual(withSystem.history, history.slice(2));
  assert.equal(withSystem.dropped, 2);
  assert.deepEqual(fitHistory(history, "s".repeat(40), 25), { system: "s".repeat(25), history: [], dropped: 3 });
  assert.deepEqual(fitHistory(history, undefined, 0), { system: undefined, history: [], dropped: 3 });
});

Deno.test("the function's cap on a message is the table's (messages_content_size)", async () => {
  await using world = await startWorld();
  const [row] = await world.sql`
    select pg_get_constraintdef(oid) as definition from pg_constraint where conname = 'messages_content_size'`;
  assert.match(row.definition, new RegExp(`role = 'user'::text\\) THEN ${MAX_CONTENT_CHARACTERS}\\b`));
});

Deno.test("hole 10: content the database cannot store (a NUL) is a 400 before any provider call", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);

  const answer = await chat(world, user, { conversation_id: conversationId, content: "before\u0000after" });

  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.error.details.fields[0].field, "content");
  assert.match(answer.body.error.message, /content: must not contain the NUL character/);
  assert.equal(world.ai.openai.requests.length, 0, "no provider is paid for a message that could not be saved");
});

Deno.test("hole 10: a provider's reply holding a NUL is saved (as U+FFFD) with its usage, not lost after the spend", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);
  world.ai.openai.reply = "odd\u0000reply";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(await savedMessages(world, conversationId), [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "odd\uFFFDreply" },
  ]);
  const [usage] = await world.sql`
    select count(*)::int as n from public.usage_metrics where user_id = ${user.id} and metric_type = 'tokens'`;
  assert.equal(usage.n, 1);
});

Deno.test("hole 6: a rate limit for an action not in private.rate_limit_actions is a 500 naming the fix", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const db = createDatabase(world.env);
  try {
    const caller = {
      userId: user.id,
      role: "authenticated" as const,
      claims: { sub: user.id, role: "authenticated" },
    };
    await assert.rejects(
      () => enforceRateLimit(db, caller, "made-up-1"),
      (error: HttpError) =>
        error.status === 500 && error.code === "server_misconfigured" &&
        /"made-up-1" is not in private.rate_limit_actions/.test(error.message),
    );
    const [row] = await world.sql`select count(*)::int as n from public.usage_metrics where user_id = ${user.id}`;
    assert.equal(row.n, 0);
    assert.equal((await enforceRateLimit(db, caller, NAME)).allowed, true);
  } finally {
    await db.close();
  }
});
