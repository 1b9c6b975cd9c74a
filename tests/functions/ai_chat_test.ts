/** ai-chat (guide 002's document chat) answered from the caller's processed documents, citing them. */
import assert from "node:assert/strict";
import { createHandler } from "../../functions/ai-chat/handler.ts";
import { type DocumentsWorld, startDocumentsWorld } from "./support/documents_world.ts";
import { request, type TestUser } from "./support/world.ts";

async function ask(docs: DocumentsWorld, user: TestUser, body: unknown) {
  const handler = createHandler(docs.env);
  try {
    const response = await handler.fetch(request("ai-chat", { token: user.token, body }));
    return { status: response.status, body: await response.json() };
  } finally {
    await handler.close();
  }
}

async function processed(docs: DocumentsWorld, user: TestUser, fileName: string, text: string) {
  const doc = await docs.upload(user, { fileName, mimeType: "image/png", text });
  await docs.process(doc.id);
  return doc.id;
}

function promptOf(docs: DocumentsWorld): string {
  return JSON.stringify(docs.ai.openai.completions.at(-1)?.body ?? {});
}

Deno.test("the answer draws on the caller's documents and cites them; both messages and usage are stored", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const stranger = await docs.createUser();
  const passport = await processed(docs, user, "passport.png", "Passport of Jane Doe expires on 2031-05-01");
  await processed(docs, stranger, "theirs.png", "Passport of Mallory expires on 2029-01-01");
  const conversation = await docs.createConversation(user.id);
  docs.ai.openai.reply = "Your passport expires on 1 May 2031 [1].";
  const { status, body } = await ask(docs, user, {
    conversationId: conversation,
    message: "When does my passport expire?",
  });
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual(body.citations, [{ document_id: passport, title: "passport" }]);
  assert.equal(body.message.document_id, passport);
  assert.equal(body.retrieval, "semantic");
  assert.ok(promptOf(docs).includes("expires on 2031-05-01"), "the excerpt went to the provider");
  assert.ok(!promptOf(docs).includes("Mallory"), "another user's document never reaches the prompt");
  const stored = await docs.sql`
    select role, document_id, metadata -> 'citations' as citations from messages
    where conversation_id = ${conversation} order by created_at`;
  assert.deepEqual(stored.map((m) => m.role), ["user", "assistant"]);
  assert.equal(stored[1].document_id, passport);
  const [usage] = await docs.sql`
    select quantity from usage_metrics where user_id = ${user.id} and action = 'ai-chat' and metric_type = 'tokens'`;
  assert.equal(Number(usage.quantity), 19);
});

Deno.test("a document shared through a family vault is reachable; another user's conversation is not", async () => {
  await using docs = await startDocumentsWorld();
  const owner = await docs.createUser();
  const member = await docs.createUser();
  const shared = await processed(docs, owner, "wifi.png", "The home wifi password card says garden-42");
  const [vault] = await docs.sql`insert into family_vaults (owner_id, name) values (${owner.id}, 'Home') returning id`;
  await docs.sql`insert into family_members (vault_id, user_id) values (${vault.id}, ${member.id})`;
  await docs
    .sql`insert into family_vault_documents (vault_id, document_id, shared_by) values (${vault.id}, ${shared}, ${owner.id})`;
  const conversation = await docs.createConversation(member.id);
  docs.ai.openai.reply = "The card says garden-42 [1].";
  const { body } = await ask(docs, member, { conversationId: conversation, message: "What does the wifi card say?" });
  assert.deepEqual(body.citations.map((c: { document_id: string }) => c.document_id), [shared]);

  const intruder = await ask(docs, owner, { conversationId: conversation, message: "hello" });
  assert.equal(intruder.status, 404);
  assert.equal(intruder.body.error.code, "conversation_not_found");
});

Deno.test("provider fallback, then 503 with nothing saved when no provider answers in time", async () => {
  await using docs = await startDocumentsWorld({ AI_TOTAL_TIMEOUT_MS: "600", AI_PROVIDER_TIMEOUT_MS: "300" });
  const user = await docs.createUser();
  await processed(docs, user, "car.png", "Car insurance renewal in June");
  const conversation = await docs.createConversation(user.id);
  docs.ai.openai.mode = "error_500";
  docs.ai.anthropic.reply = "It renews in June [1].";
  const fallback = await ask(docs, user, {
    conversationId: conversation,
    message: "When does the car insurance renew?",
  });
  assert.equal(fallback.status, 200);
  assert.equal(fallback.body.fallback.used, true);
  assert.equal(fallback.body.citations.length, 1);

  docs.ai.anthropic.mode = "hang";
  docs.ai.gemini.mode = "hang";
  const down = await ask(docs, user, { conversationId: conversation, message: "And the premium?" });
  assert.equal(down.status, 503);
  assert.equal(down.body.error.code, "ai_providers_unavailable");
  const [{ count }] = await docs.sql`select count(*)::int from messages where conversation_id = ${conversation}`;
  assert.equal(count, 2, "only the first exchange is stored");
});

Deno.test("without embeddings the chat retrieves by full text", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const boiler = await processed(docs, user, "boiler.png", "Boiler service every twelve months");
  docs.embeddings.openaiMode = "error_500";
  docs.embeddings.huggingfaceMode = "error_500";
  const conversation = await docs.createConversation(user.id);
  docs.ai.openai.reply = "Every twelve months [1].";
  const { body } = await ask(docs, user, { conversationId: conversation, message: "boiler service" });
  assert.equal(body.retrieval, "full_text");
  assert.deepEqual(body.citations.map((c: { document_id: string }) => c.document_id), [boiler]);
});

Deno.test("by full text the chat finds the caller's own and vault-shared documents, never a stranger's", async () => {
  await using docs = await startDocumentsWorld();
  const owner = await docs.createUser();
  const member = await docs.createUser();
  const stranger = await docs.createUser();
  const own = await processed(docs, member, "boiler.png", "Boiler service every twelve months");
  const shared = await processed(docs, owner, "manual.png", "Boiler service by a registered engineer");
  await processed(docs, stranger, "theirs.png", "Boiler service done by Mallory");
  const [vault] = await docs.sql`insert into family_vaults (owner_id, name) values (${owner.id}, 'Home') returning id`;
  await docs.sql`insert into family_members (vault_id, user_id) values (${vault.id}, ${member.id})`;
  await docs
    .sql`insert into family_vault_documents (vault_id, document_id, shared_by) values (${vault.id}, ${shared}, ${owner.id})`;
  docs.embeddings.openaiMode = "error_500";
  docs.embeddings.huggingfaceMode = "error_500";
  const conversation = await docs.createConversation(member.id);
  docs.ai.openai.reply = "Every twelve months [1], by an engineer [2].";
  const { body } = await ask(docs, member, { conversationId: conversation, message: "boiler service" });
  assert.equal(body.retrieval, "full_text");
  assert.deepEqual(new Set(body.citations.map((c: { document_id: string }) => c.document_id)), new Set([own, shared]));
  assert.ok(!promptOf(docs).includes("Mallory"), "another user's document never reaches the prompt");
});

Deno.test("bad input is refused before any provider is paid; the rate limit answers 429", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const conversation = await docs.createConversation(user.id);
  for (
    const [body, field] of [
      [{ message: "hi" }, "conversationId"],
      [{ conversationId: "test", message: "Hello AI" }, "conversationId"],
      [{ conversationId: conversation, message: "a\u0000b" }, "message"],
      [{ conversationId: conversation, message: "x".repeat(8001) }, "message"],
    ] as const
  ) {
    const answer = await ask(docs, user, body);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.details.fields[0].field, field);
  }
  assert.equal(docs.ai.openai.completions.length, 0);
  await docs.setRequestsThisHour(user.id, "ai-chat", 100);
  const limited = await ask(docs, user, { conversationId: conversation, message: "hello" });
  assert.equal(limited.status, 429);
});

Deno.test("a provider's reply holding a NUL is saved (as U+FFFD) with its usage, not paid for and then lost", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  await processed(docs, user, "lease.png", "The lease ends in March");
  const conversation = await docs.createConversation(user.id);
  docs.ai.openai.reply = "It ends\u0000 in March [1].";
  const { status, body } = await ask(docs, user, { conversationId: conversation, message: "When does the lease end?" });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.message.content, "It ends\uFFFD in March [1].");
  const stored = await docs.sql`
    select role, content from messages where conversation_id = ${conversation} order by created_at`;
  assert.deepEqual(stored.map((m) => m.role), ["user", "assistant"]);
  assert.equal(stored[1].content, "It ends\uFFFD in March [1].");
  const usage = await docs.sql`
    select 1 from usage_metrics where user_id = ${user.id} and action = 'ai-chat' and metric_type = 'tokens'`;
  assert.equal(usage.length, 1, "the tokens paid for are counted");
});
