/**
 * ai-chat-message against the migrated database and local fakes of OpenAI, Anthropic and Gemini: the answer,
 * what is saved, the fallback chain, timeouts, bad input, other users' conversations, the rate limit, streaming,
 * and that no key or token appears in a response or a log line.
 */
import assert from "node:assert/strict";
import { createHandler } from "../../functions/ai-chat-message/handler.ts";
import { ALL_TEST_SECRETS, TEST_KEYS } from "./support/env.ts";
import { captureConsole } from "./support/console_capture.ts";
import { anonKey, mintToken } from "./support/jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

const NAME = "ai-chat-message";
// JSON answers are checked field by field; typing each shape would only restate the assertions.
// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Answer {
  status: number;
  headers: Headers;
  body: Loose;
  text: string;
}

async function chat(world: TestWorld, user: TestUser | string, body: unknown): Promise<Answer> {
  const handler = createHandler(world.env);
  try {
    const token = typeof user === "string" ? user : user.token;
    const response = await handler.fetch(request(NAME, { token, body }));
    const text = await response.text();
    const isJson = response.headers.get("content-type")?.startsWith("application/json");
    return { status: response.status, headers: response.headers, body: isJson ? JSON.parse(text) : {}, text };
  } finally {
    await handler.close();
  }
}

async function userWithConversation(world: TestWorld) {
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);
  return { user, conversationId };
}

async function messagesOf(world: TestWorld, conversationId: string) {
  const rows = await world.sql`
    select role, content, model_provider, ai_model, token_count from public.messages
    where conversation_id = ${conversationId} order by created_at`;
  return rows.map((row) => ({ ...row }));
}

Deno.test("a message is answered by the requested provider and both messages are saved with token counts", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);

  const answer = await chat(world, user, {
    conversation_id: conversationId,
    content: "Hello, world!",
    model_provider: "openai",
    model_name: "gpt-4",
  });

  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.message.content, "Hello from the fake openai.");
  assert.equal(answer.body.message.model_provider, "openai");
  assert.equal(answer.body.message.ai_model, "gpt-4");
  assert.deepEqual(answer.body.usage, { input_tokens: 12, output_tokens: 7, cost_usd: 0.00078 });
  assert.equal(answer.body.fallback.used, false);
  assert.deepEqual(await messagesOf(world, conversationId), [
    { role: "user", content: "Hello, world!", model_provider: "openai", ai_model: null, token_count: 12 },
    {
      role: "assistant",
      content: "Hello from the fake openai.",
      model_provider: "openai",
      ai_model: "gpt-4",
      token_count: 7,
    },
  ]);
  // The rate limit's headers ride along on success.
  assert.equal(answer.headers.get("x-ratelimit-limit"), "100");
  assert.equal(answer.headers.get("x-ratelimit-remaining"), "99");
  assert.equal(answer.headers.get("x-frame-options"), "DENY");
});

Deno.test("the user's model configuration sets temperature, max tokens and system prompt, with the history", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  await world.sql`
    update public.ai_model_configs set temperature = 0.3, max_tokens = 321, system_prompt = 'Answer briefly.'
    where user_id = ${user.id} and provider = 'openai'`;
  await world.sql`
    insert into public.messages (conversation_id, user_id, role, content, created_at) values
      (${conversationId}, ${user.id}, 'user', 'Earlier question', now() - interval '2 minutes'),
      (${conversationId}, ${user.id}, 'assistant', 'Earlier answer', now() - interval '1 minute')`;

  const answer = await chat(world, user, { conversation_id: conversationId, content: "And now?" });

  assert.equal(answer.status, 200, answer.text);
  const [sent] = world.ai.openai.completions;
  assert.equal(sent.body?.model, "gpt-4"); // the user's default configuration
  assert.equal(sent.body?.temperature, 0.3);
  assert.equal(sent.body?.max_completion_tokens, 321);
  assert.deepEqual(sent.body?.messages, [
    { role: "system", content: "Answer briefly." },
    { role: "user", content: "Earlier question" },
    { role: "assistant", content: "Earlier answer" },
    { role: "user", content: "And now?" },
  ]);
  assert.equal(sent.headers.get("authorization"), `Bearer ${TEST_KEYS.openai}`);
});

Deno.test("provider names: anthropic and claude reach Anthropic, google and gemini reach Gemini", async () => {
  await using world = await startWorld();
  for (
    const [name, fake, stored] of [
      ["anthropic", world.ai.anthropic, "claude"],
      ["claude", world.ai.anthropic, "claude"],
      ["google", world.ai.gemini, "gemini"],
      ["gemini", world.ai.gemini, "gemini"],
    ] as const
  ) {
    const { user, conversationId } = await userWithConversation(world);
    const before = fake.completions.length;
    const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", model_provider: name });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.message.model_provider, stored, name);
    assert.equal(answer.body.message.content, `Hello from the fake ${fake.name}.`);
    assert.equal(fake.completions.length, before + 1, `${name} should have been called once`);
  }
  // The user's configurations for those providers name the models (the signup trigger's defaults).
  assert.equal(world.ai.anthropic.completions[0].body?.model, "claude-sonnet-4-5");
  assert.ok(world.ai.gemini.completions[0].path.startsWith("/v1beta/models/gemini-2.5-flash:generateContent"));
  assert.equal(world.ai.gemini.completions[0].headers.get("x-goog-api-key"), TEST_KEYS.gemini);
  assert.equal(world.ai.anthropic.completions[0].headers.get("x-api-key"), TEST_KEYS.anthropic);
});

Deno.test("openai down: anthropic answers with its default model, and the reply says so", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "unavailable_503";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", model_provider: "openai" });

  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.message.model_provider, "claude");
  assert.equal(answer.body.message.ai_model, "claude-sonnet-4-5");
  assert.equal(world.ai.anthropic.completions[0].body?.model, "claude-sonnet-4-5");
  assert.equal(answer.body.fallback.used, true);
  assert.deepEqual(
    answer.body.fallback.attempts.map((a: Record<string, unknown>) => [a.provider, a.outcome, a.detail]),
    [["openai", "unavailable", "HTTP 503"], ["claude", "ok", "answered"]],
  );
  const [usage] = await world.sql`
    select quantity, cost_usd, metadata from public.usage_metrics
    where user_id = ${user.id} and metric_type = 'tokens'`;
  assert.equal(Number(usage.quantity), 13 + 8);
  assert.equal(usage.metadata.provider, "claude");
  assert.equal(Number(usage.cost_usd), (13 * 3 + 8 * 15) / 1e6);
});

Deno.test("openai and anthropic down (500, 429): gemini answers", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "error_500";
  world.ai.anthropic.mode = "rate_limited_429";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.message.model_provider, "gemini");
  assert.equal(answer.body.message.ai_model, "gemini-2.5-flash");
  assert.deepEqual(
    answer.body.fallback.attempts.map((a: Record<string, unknown>) => a.outcome),
    ["unavailable", "rate_limited", "ok"],
  );
});

Deno.test("a provider answering in the wrong shape is a failure too", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "bad_answer";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.message.model_provider, "claude");
  assert.equal(answer.body.fallback.attempts[0].outcome, "bad_response");
});

Deno.test("all providers down: 503 ai_providers_unavailable naming each provider and why, nothing saved", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "error_500";
  world.ai.anthropic.mode = "unavailable_503";
  world.ai.gemini.mode = "rate_limited_429";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 503, answer.text);
  assert.equal(answer.body.error.code, "ai_providers_unavailable");
  assert.match(answer.body.error.message, /openai \(HTTP 500\).*claude \(HTTP 503\).*gemini \(HTTP 429/);
  assert.deepEqual(
    answer.body.error.details.attempts.map((a: Record<string, unknown>) => a.provider),
    ["openai", "claude", "gemini"],
  );
  assert.equal(answer.headers.get("retry-after"), "30");
  assert.deepEqual(await messagesOf(world, conversationId), []);
  for (const secret of ALL_TEST_SECRETS) assert.ok(!answer.text.includes(secret), "a key leaked into the 503");
});

Deno.test("a provider without a key is skipped as not configured, without a call", async () => {
  await using world = await startWorld({ OPENAI_API_KEY: undefined });
  const { user, conversationId } = await userWithConversation(world);

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", model_provider: "openai" });

  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.message.model_provider, "claude");
  assert.deepEqual(answer.body.fallback.attempts[0], {
    provider: "openai",
    model: "gpt-4",
    outcome: "not_configured",
    detail: "not configured: OPENAI_API_KEY is not set",
    duration_ms: answer.body.fallback.attempts[0].duration_ms,
  });
  assert.equal(world.ai.openai.requests.length, 0);
});

Deno.test("no provider has a key: 503 saying each is not configured", async () => {
  await using world = await startWorld({
    OPENAI_API_KEY: undefined,
    ANTHROPIC_API_KEY: undefined,
    GOOGLE_AI_API_KEY: undefined,
  });
  const { user, conversationId } = await userWithConversation(world);

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 503);
  assert.match(answer.body.error.message, /ANTHROPIC_API_KEY is not set/);
  assert.match(answer.body.error.message, /GOOGLE_AI_API_KEY is not set/);
});

Deno.test("the fallback order comes from AI_PROVIDER_FALLBACK_ORDER", async () => {
  await using world = await startWorld({ AI_PROVIDER_FALLBACK_ORDER: "google, anthropic" });
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "error_500";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", model_provider: "openai" });

  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.message.model_provider, "gemini");
  assert.equal(world.ai.anthropic.completions.length, 0);
});

Deno.test("a hanging provider is abandoned within the timeout and the next one answers", async () => {
  await using world = await startWorld({ AI_PROVIDER_TIMEOUT_MS: "300" });
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "hang";

  const started = performance.now();
  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });
  const elapsed = performance.now() - started;

  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.message.model_provider, "claude");
  assert.equal(answer.body.fallback.attempts[0].outcome, "timeout");
  assert.equal(answer.body.fallback.attempts[0].detail, "timed out after 300 ms");
  assert.ok(answer.body.fallback.attempts[0].duration_ms >= 290, "gave up before the timeout");
  assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms; the hanging provider was not abandoned in time`);
});

Deno.test("AI_TOTAL_TIMEOUT_MS cuts the second attempt short and the third provider is not asked", async () => {
  await using world = await startWorld({ AI_PROVIDER_TIMEOUT_MS: "300", AI_TOTAL_TIMEOUT_MS: "500" });
  const { user, conversationId } = await userWithConversation(world);
  for (const fake of [world.ai.openai, world.ai.anthropic, world.ai.gemini]) fake.mode = "hang";

  const started = performance.now();
  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });
  const elapsed = performance.now() - started;

  assert.equal(answer.status, 503, answer.text);
  assert.equal(answer.body.error.code, "ai_providers_unavailable");
  const [first, second, third] = answer.body.error.details.attempts;
  assert.deepEqual([first.provider, first.outcome, first.detail], ["openai", "timeout", "timed out after 300 ms"]);
  assert.deepEqual([second.provider, second.outcome], ["claude", "timeout"]);
  assert.match(second.detail, /^timed out after \d+ ms, when AI_TOTAL_TIMEOUT_MS = 500 ms ran out$/);
  assert.ok(second.duration_ms < 290, `claude had ${second.duration_ms} ms; the time left (~200 ms) should cut it`);
  assert.deepEqual([third.provider, third.outcome], ["gemini", "out_of_time"]);
  assert.match(third.detail, /^not tried: AI_TOTAL_TIMEOUT_MS = 500 ms was used up$/);
  assert.match(answer.body.error.message, /gemini \(not tried/);
  assert.equal(world.ai.anthropic.completions.length, 1);
  assert.equal(world.ai.gemini.requests.length, 0, "gemini must not be called once the time is spent");
  assert.ok(elapsed < 500 + 1000, `took ${Math.round(elapsed)} ms for a 500 ms limit`);
  assert.deepEqual(await messagesOf(world, conversationId), []);
});

Deno.test("streaming: AI_TOTAL_TIMEOUT_MS counts until the first delta, even after the provider's headers", async () => {
  await using world = await startWorld({ AI_PROVIDER_TIMEOUT_MS: "300", AI_TOTAL_TIMEOUT_MS: "500" });
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "hang";
  world.ai.anthropic.mode = "stall_before_text"; // answers 200 and its preamble events, then no text

  const started = performance.now();
  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", stream: true });
  const elapsed = performance.now() - started;

  assert.equal(answer.status, 503, answer.text);
  const attempts = answer.body.error.details.attempts;
  assert.deepEqual(attempts.map((a: Loose) => [a.provider, a.outcome]), [
    ["openai", "timeout"],
    ["claude", "timeout"],
    ["gemini", "out_of_time"],
  ]);
  assert.match(attempts[1].detail, /when AI_TOTAL_TIMEOUT_MS = 500 ms ran out$/);
  assert.ok(attempts[1].duration_ms < 290, `claude had ${attempts[1].duration_ms} ms; the time left should cut it`);
  assert.equal(world.ai.gemini.requests.length, 0);
  assert.ok(elapsed < 500 + 1000, `took ${Math.round(elapsed)} ms for a 500 ms limit`);
});

Deno.test("streaming: after the first delta AI_TOTAL_TIMEOUT_MS no longer applies, only the idle deadline", async () => {
  await using world = await startWorld({ AI_PROVIDER_TIMEOUT_MS: "1000", AI_TOTAL_TIMEOUT_MS: "300" });
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.reply = "A slow reply in five words.";
  world.ai.openai.eventDelayMs = 100; // 8 events: the whole stream takes ~700 ms, each pause well under 1000 ms

  const started = performance.now();
  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", stream: true });
  const elapsed = performance.now() - started;

  const events = parseSse(answer.text);
  assert.equal(events.at(-1)!.event, "done", answer.text);
  assert.equal(events.at(-1)!.data.message.content, "A slow reply in five words.");
  assert.ok(elapsed > 500, `took ${Math.round(elapsed)} ms; the stream should have outlasted the 300 ms limit`);
  assert.equal((await messagesOf(world, conversationId)).length, 2);
});

Deno.test("a bad AI_TOTAL_TIMEOUT_MS is a 500 naming the variable", async () => {
  await using world = await startWorld({ AI_TOTAL_TIMEOUT_MS: "1 minute" });
  const { user, conversationId } = await userWithConversation(world);

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 500, answer.text);
  assert.equal(answer.body.error.code, "server_misconfigured");
  assert.match(answer.body.error.message, /AI_TOTAL_TIMEOUT_MS must be a whole number between 50 and 300000/);
  assert.equal(world.ai.openai.requests.length, 0);
});

Deno.test("bad input is refused with 400 naming each field", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  const cases: [unknown, string, RegExp][] = [
    [{ content: "Hi" }, "conversation_id", /is required/],
    [{ conversation_id: "test-conv-id", content: "Hi" }, "conversation_id", /must be a UUID/],
    [{ conversation_id: conversationId }, "content", /is required/],
    [{ conversation_id: conversationId, content: "   " }, "content", /must not be empty/],
    [{ conversation_id: conversationId, content: 42 }, "content", /must be a string/],
    [{ conversation_id: conversationId, content: "x".repeat(32_001) }, "content", /at most 32000 characters/],
    [
      { conversation_id: conversationId, content: "Hi", model_provider: "mistral" },
      "model_provider",
      /must be one of openai, claude, anthropic, gemini, google/,
    ],
    [
      { conversation_id: conversationId, content: "Hi", model_name: "gpt-4; drop table" },
      "model_name",
      /may hold only/,
    ],
    [{ conversation_id: conversationId, content: "Hi", stream: "yes" }, "stream", /must be true or false/],
    [["not", "an", "object"], "body", /must be a JSON object/],
  ];
  for (const [body, field, message] of cases) {
    const answer = await chat(world, user, body);
    assert.equal(answer.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${answer.text}`);
    assert.equal(answer.body.error.code, "invalid_request");
    const problem = answer.body.error.details.fields.find((f: { field: string }) => f.field === field);
    assert.ok(problem, `no problem reported for ${field}: ${answer.text}`);
    assert.match(problem.message, message);
    assert.match(answer.body.error.message, new RegExp(`${field}: `));
  }
  const unplaced = await chat(world, user, { conversation_id: conversationId, content: "Hi", model_name: "llama-3" });
  assert.equal(unplaced.status, 400);
  assert.match(unplaced.body.error.message, /model_provider: is required when model_name \(llama-3\)/);
  const placed = await chat(world, user, {
    conversation_id: conversationId,
    content: "Hi",
    model_name: "gemini-2.5-flash",
  });
  assert.equal(placed.status, 200, "a configured model name finds its provider");
  assert.equal(placed.body.message.model_provider, "gemini");

  const several = await chat(world, user, {});
  assert.match(several.body.error.message, /conversation_id: is required; content: is required/);

  const notJson = await chat(world, user, "{not json");
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.error.code, "invalid_json");
  assert.equal(world.ai.openai.requests.length, 0, "no provider is called for a bad request");
  assert.equal(world.ai.gemini.completions.length, 1);
});

Deno.test("another user's conversation is answered 404, like one that does not exist, and nothing is written", async () => {
  await using world = await startWorld();
  const { conversationId } = await userWithConversation(world);
  const intruder = await world.createUser();

  const theirs = await chat(world, intruder, { conversation_id: conversationId, content: "Let me in" });
  const missing = await chat(world, intruder, { conversation_id: crypto.randomUUID(), content: "Hello?" });

  assert.equal(theirs.status, 404);
  assert.equal(theirs.body.error.code, "conversation_not_found");
  assert.equal(missing.status, 404);
  assert.equal(
    theirs.body.error.message.replace(conversationId, "ID"),
    missing.body.error.message.replace(/[0-9a-f-]{36}/, "ID"),
    "the answers must not tell an existing conversation from a missing one",
  );
  assert.deepEqual(await messagesOf(world, conversationId), []);
  assert.equal(world.ai.openai.requests.length, 0);
});

Deno.test("at the tier's hourly limit: 429 with Retry-After, before any work", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  await world.setRequestsThisHour(user.id, NAME, 100); // the free tier's limit

  const answer = await chat(world, user, { conversation_id: conversationId, content: "One more" });

  assert.equal(answer.status, 429, answer.text);
  assert.equal(answer.body.error.code, "rate_limited");
  assert.match(answer.body.error.message, /free tier allows 100 ai-chat-message requests per hour/);
  const retryAfter = Number(answer.headers.get("retry-after"));
  assert.ok(retryAfter > 0 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
  assert.equal(answer.headers.get("x-ratelimit-remaining"), "0");
  assert.equal(world.ai.openai.requests.length, 0);
  assert.deepEqual(await messagesOf(world, conversationId), []);
});

Deno.test("a premium user below their own limit is served, and each call counts once", async () => {
  await using world = await startWorld();
  const user = await world.createUser({ tier: "premium" });
  const conversationId = await world.createConversation(user.id);
  await world.setRequestsThisHour(user.id, NAME, 100);

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi" });

  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers.get("x-ratelimit-limit"), "500");
  assert.equal(answer.headers.get("x-ratelimit-remaining"), "399");
});

Deno.test("the anon key, a missing token, a bad signature and an expired token are refused with 401", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  const body = { conversation_id: conversationId, content: "Hi" };

  const anon = await chat(world, await anonKey(), body);
  assert.equal(anon.status, 401);
  assert.equal(anon.body.error.code, "sign_in_required");
  assert.match(anon.body.error.message, /anon key.*sign in/);

  const none = await chat(world, "", body);
  assert.equal(none.body.error.code, "missing_authorization");

  const forged = await chat(
    world,
    await mintToken({ sub: user.id, secret: "another-secret-of-32-characters!!" }),
    body,
  );
  assert.equal(forged.status, 401);
  assert.equal(forged.body.error.code, "invalid_token");

  const expired = await chat(world, await mintToken({ sub: user.id, expiresInSeconds: -60 }), body);
  assert.equal(expired.status, 401);
  assert.equal(expired.body.error.code, "token_expired");
  assert.equal(expired.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
  assert.equal(world.ai.openai.requests.length, 0);
});

Deno.test("without JWT_SECRET, tokens are verified against the project's JWKS", async () => {
  await using world = await startWorld({ JWT_SECRET: undefined });
  const { user, conversationId } = await userWithConversation(world);

  const signedWithKey = await world.supabase.mintAsymmetricToken(user.id);
  const ok = await chat(world, signedWithKey, { conversation_id: conversationId, content: "Hi" });
  assert.equal(ok.status, 200, ok.text);

  const hs256 = await chat(world, user, { conversation_id: conversationId, content: "Hi" });
  assert.equal(hs256.status, 401, "an HS256 token must not pass when the project uses asymmetric keys");
});

Deno.test("the database down: 503 database_unavailable, without the connection string", async () => {
  await using world = await startWorld({
    SUPABASE_DB_URL: "postgresql://postgres:db-password-s3cret@127.0.0.1:1/postgres",
  });
  const user = await world.createUser();

  const { result: answer, output } = await captureConsole(() =>
    chat(world, user, { conversation_id: crypto.randomUUID(), content: "Hi" })
  );

  assert.equal(answer.status, 503, answer.text);
  assert.equal(answer.body.error.code, "database_unavailable");
  assert.ok(!answer.text.includes("db-password-s3cret"));
  assert.ok(!output.text().includes("db-password-s3cret"), "the database password reached the logs");
});

Deno.test("streaming: deltas as server-sent events, then both messages saved and a done event", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  world.ai.anthropic.reply = "Streaming works — even with ümlauts.";

  const answer = await chat(world, user, {
    conversation_id: conversationId,
    content: "Stream please",
    model_provider: "claude",
    stream: true,
  });

  assert.equal(answer.status, 200);
  assert.match(answer.headers.get("content-type") ?? "", /^text\/event-stream/);
  assert.equal(answer.headers.get("x-content-type-options"), "nosniff");
  const events = parseSse(answer.text);
  assert.equal(events[0].event, "start");
  assert.equal(events[0].data.model_provider, "claude");
  const deltas = events.filter((e) => e.event === "delta");
  assert.ok(deltas.length > 1, "the reply should arrive in several deltas");
  assert.equal(deltas.map((e) => e.data.text).join(""), "Streaming works — even with ümlauts.");
  const done = events.at(-1)!;
  assert.equal(done.event, "done");
  assert.equal(done.data.message.content, "Streaming works — even with ümlauts.");
  assert.deepEqual(done.data.usage, { input_tokens: 13, output_tokens: 8, cost_usd: (13 * 3 + 8 * 15) / 1e6 });
  assert.equal(world.ai.anthropic.completions[0].body?.stream, true);
  assert.deepEqual(await messagesOf(world, conversationId), [
    { role: "user", content: "Stream please", model_provider: "claude", ai_model: null, token_count: 13 },
    {
      role: "assistant",
      content: "Streaming works — even with ümlauts.",
      model_provider: "claude",
      ai_model: "claude-sonnet-4-5",
      token_count: 8,
    },
  ]);
});

Deno.test("streaming falls back before the first delta: openai and anthropic down, gemini streams", async () => {
  await using world = await startWorld({ AI_PROVIDER_TIMEOUT_MS: "300" });
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "hang";
  world.ai.anthropic.mode = "error_500";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", stream: true });

  const events = parseSse(answer.text);
  assert.equal(events[0].data.model_provider, "gemini");
  assert.deepEqual(
    events[0].data.fallback.attempts.map((a: Record<string, unknown>) => a.outcome),
    ["timeout", "unavailable", "ok"],
  );
  assert.equal(events.at(-1)!.event, "done");
  assert.equal(events.at(-1)!.data.message.content, "Hello from the fake gemini.");
  assert.equal(events.at(-1)!.data.usage.output_tokens, 9);
  assert.ok(world.ai.gemini.completions[0].path.includes(":streamGenerateContent?alt=sse"));
});

Deno.test("streaming from openai asks for the usage and records it", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", stream: true });

  const done = parseSse(answer.text).at(-1)!;
  assert.equal(done.event, "done", answer.text);
  assert.deepEqual(world.ai.openai.completions[0].body?.stream_options, { include_usage: true });
  assert.deepEqual(done.data.usage, { input_tokens: 12, output_tokens: 7, cost_usd: (12 * 30 + 7 * 60) / 1e6 });
});

Deno.test("streaming: a provider that stalls mid-reply ends the stream with an error event, nothing saved", async () => {
  await using world = await startWorld({ AI_PROVIDER_TIMEOUT_MS: "300" });
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "stall_mid_stream";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", stream: true });

  const events = parseSse(answer.text);
  assert.equal(events[0].event, "start");
  assert.equal(events[1].event, "delta");
  const last = events.at(-1)!;
  assert.equal(last.event, "error", answer.text);
  assert.equal(last.data.code, "ai_stream_interrupted");
  assert.match(last.data.message, /timed out after 300 ms.*nothing was saved/);
  assert.deepEqual(await messagesOf(world, conversationId), []);
});

Deno.test("streaming: a client that leaves mid-reply stops the provider, and nothing is saved", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  world.ai.openai.mode = "stall_mid_stream";
  const handler = createHandler(world.env);
  try {
    const response = await handler.fetch(
      request(NAME, { token: user.token, body: { conversation_id: conversationId, content: "Hi", stream: true } }),
    );
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^event: start/);
    const { output } = await captureConsole(async () => {
      await reader.cancel();
      await new Promise((resolve) => setTimeout(resolve, 100));
    });
    // Well before the provider's 3 s deadline: the cancel reached the provider's stream.
    assert.match(output.text(), /the client left before the reply ended; nothing saved/);
    assert.deepEqual(await messagesOf(world, conversationId), []);
  } finally {
    await handler.close();
  }
});

Deno.test("streaming with no provider able to answer is a plain 503", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  for (const fake of [world.ai.openai, world.ai.anthropic, world.ai.gemini]) fake.mode = "error_500";

  const answer = await chat(world, user, { conversation_id: conversationId, content: "Hi", stream: true });

  assert.equal(answer.status, 503);
  assert.equal(answer.body.error.code, "ai_providers_unavailable");
});

Deno.test("no key, token or secret appears in any response or log line, even when everything fails", async () => {
  await using world = await startWorld({ AI_PROVIDER_TIMEOUT_MS: "200" });
  const { user, conversationId } = await userWithConversation(world);
  const { output } = await captureConsole(async () => {
    const responses: string[] = [];
    responses.push((await chat(world, user, { conversation_id: conversationId, content: "Hi" })).text);
    world.ai.openai.mode = "hang";
    world.ai.anthropic.mode = "error_500";
    world.ai.gemini.mode = "bad_answer";
    responses.push((await chat(world, user, { conversation_id: conversationId, content: "Hi" })).text);
    responses.push((await chat(world, user, { conversation_id: conversationId, content: "Hi", stream: true })).text);
    responses.push((await chat(world, await anonKey(), { conversation_id: conversationId, content: "Hi" })).text);
    for (const text of responses) {
      for (const secret of [...ALL_TEST_SECRETS, user.token]) {
        assert.ok(!text.includes(secret), `a secret leaked into a response: ${text.slice(0, 200)}`);
      }
    }
  });
  const logs = output.text();
  assert.ok(output.records().length >= 4, "the handler should log structured lines");
  for (const secret of [...ALL_TEST_SECRETS, user.token]) {
    assert.ok(!logs.includes(secret), `a secret leaked into the logs`);
  }
  for (const record of output.records()) {
    assert.equal(record.function, NAME);
    assert.ok(typeof record.request_id === "string");
  }
});

interface SseEvent {
  event: string;
  data: Loose;
}

function parseSse(text: string): SseEvent[] {
  return text.split("\n\n").filter((block) => block.trim()).map((block) => {
    const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
    const data = /^data: (.*)$/m.exec(block)?.[1] ?? "{}";
    return { event, data: JSON.parse(data) };
  });
}

Deno.test("issue 20 hole 4: AI tokens are reserved before the call, settled to the provider's count, refused past the day", async () => {
  await using world = await startWorld();
  const { user, conversationId } = await userWithConversation(world);
  const ask = () =>
    chat(world, user, {
      conversation_id: conversationId,
      content: "Hello",
      model_provider: "openai",
      model_name: "gpt-4",
    });
  const spent = async () =>
    Number(
      (await world.sql`
      select coalesce(sum(quantity), 0)::int as n from private.spend_ledger
      where user_id = ${user.id} and unit = 'ai_tokens'`)[0].n,
    );

  assert.equal((await ask()).status, 200);
  assert.equal(await spent(), 12 + 7, "the reservation (input estimate + max_tokens) settled to what was reported");

  // After a fallback, the provider that failed may have billed: the reservation is not given back.
  world.ai.openai.mode = "unavailable_503";
  const before = await spent();
  const fellBack = await ask();
  assert.equal(fellBack.body.fallback.used, true);
  assert.ok(await spent() - before >= 2000, "at least the max_tokens asked for stays counted");
  world.ai.openai.mode = "ok";

  // Earlier today the user spent all but 1,000 of the free tier's 15,000 tokens; a request may ask for up to
  // 2,000 more (its max_tokens), so it is refused before any provider is called.
  await world.sql`
    insert into private.spend_ledger (user_id, unit, day, quantity, source)
    values (${user.id}, 'ai_tokens', (now() at time zone 'utc')::date, ${14_000 - (await spent())}, 'ai-chat-message')`;
  const calls = world.ai.openai.completions.length;
  const refused = await ask();
  assert.equal(refused.status, 429, refused.text);
  assert.equal(refused.body.error.code, "spend_budget_exceeded");
  assert.equal(refused.body.error.details.unit, "ai_tokens");
  assert.equal(refused.body.error.details.remaining, 1000);
  assert.ok(Number(refused.headers.get("retry-after")) > 0);
  assert.equal(world.ai.openai.completions.length, calls, "no provider was called");
});
