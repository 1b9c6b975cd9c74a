/** search-engine on processed documents: row-level security decides, family sharing included, filters and pages. */
import assert from "node:assert/strict";
import { createHandler } from "../../functions/search-engine/handler.ts";
import { type DocumentsWorld, startDocumentsWorld } from "./support/documents_world.ts";
import { request, type TestUser } from "./support/world.ts";

async function search(docs: DocumentsWorld, user: TestUser, body: unknown) {
  const handler = createHandler(docs.env);
  try {
    const response = await handler.fetch(request("search-engine", { token: user.token, body }));
    return { status: response.status, body: await response.json(), headers: response.headers };
  } finally {
    await handler.close();
  }
}

async function processed(docs: DocumentsWorld, user: TestUser, fileName: string, text: string, tags: string[] = []) {
  const mimeType = fileName.endsWith(".pdf") ? "application/pdf" : "image/png";
  const doc = await docs.upload(user, { fileName, mimeType, text, tags });
  await docs.process(doc.id);
  return doc.id;
}

Deno.test("the caller finds their own and family-shared documents, never another user's", async () => {
  await using docs = await startDocumentsWorld();
  const owner = await docs.createUser();
  const member = await docs.createUser();
  const stranger = await docs.createUser();
  const mine = await processed(docs, member, "warranty.png", "Washing machine warranty until 2028");
  const shared = await processed(docs, owner, "insurance.png", "Home insurance covers the washing machine");
  const hidden = await processed(docs, stranger, "secret.png", "Stranger washing machine receipt");
  const [vault] = await docs.sql`insert into family_vaults (owner_id, name) values (${owner.id}, 'Home') returning id`;
  await docs.sql`insert into family_members (vault_id, user_id) values (${vault.id}, ${member.id})`;
  await docs
    .sql`insert into family_vault_documents (vault_id, document_id, shared_by) values (${vault.id}, ${shared}, ${owner.id})`;

  const { status, body } = await search(docs, member, { query: "washing machine" });
  assert.equal(status, 200, JSON.stringify(body));
  const ids = body.results.map((r: { id: string }) => r.id);
  assert.deepEqual(new Set(ids), new Set([mine, shared]));
  assert.ok(!ids.includes(hidden));
  assert.equal(body.results.find((r: { id: string }) => r.id === shared).shared, true);
  assert.equal(body.semantic.used, true);
  assert.equal(body.semantic.model, "text-embedding-3-small");
  const top = body.results[0];
  assert.ok(top.full_text_rank !== null && top.semantic_rank !== null, "both halves of the hybrid search ranked it");

  // The semantic half always offers the nearest chunks: the stranger sees only their own document.
  const outsider = await search(docs, stranger, { query: "warranty" });
  assert.deepEqual(outsider.body.results.map((r: { id: string }) => r.id), [hidden]);
});

Deno.test("filters by type, tags and date, and pages through the results", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const pdf = await processed(docs, user, "tax.pdf", "Tax return 2025 invoice", ["tax", "2025"]);
  const png = await processed(docs, user, "invoice.png", "Plumber invoice paid", ["home"]);
  for (let i = 0; i < 3; i++) await processed(docs, user, `inv${i}.png`, `Invoice number ${i}`, ["home"]);

  const byType = await search(docs, user, { query: "invoice", filters: { types: ["application/pdf"] } });
  assert.deepEqual(byType.body.results.map((r: { id: string }) => r.id), [pdf]);
  const byTags = await search(docs, user, { query: "invoice", filters: { tags: ["tax", "2025"] } });
  assert.deepEqual(byTags.body.results.map((r: { id: string }) => r.id), [pdf]);
  await docs.sql`update documents set created_at = '2024-03-01' where id = ${png}`;
  const byDate = await search(docs, user, {
    query: "invoice",
    filters: { created_from: "2024-01-01", created_to: "2024-12-31" },
  });
  assert.deepEqual(byDate.body.results.map((r: { id: string }) => r.id), [png]);

  const first = await search(docs, user, { query: "invoice", page_size: 2 });
  const second = await search(docs, user, { query: "invoice", page_size: 2, page: 2 });
  const third = await search(docs, user, { query: "invoice", page_size: 2, page: 3 });
  assert.equal(first.body.has_more, true);
  assert.equal(third.body.has_more, false);
  const all = [...first.body.results, ...second.body.results, ...third.body.results].map((r: { id: string }) => r.id);
  assert.equal(all.length, 5);
  assert.equal(new Set(all).size, 5, "no document on two pages");
});

Deno.test("with the embeddings providers down or too slow, the full-text half still answers", async () => {
  await using docs = await startDocumentsWorld({ EMBEDDING_TIMEOUT_MS: "300" });
  const user = await docs.createUser();
  const id = await processed(docs, user, "lease.png", "Apartment lease agreement");
  docs.embeddings.openaiMode = "hang";
  docs.embeddings.huggingfaceMode = "error_500";
  const { status, body } = await search(docs, user, { query: "lease" });
  assert.equal(status, 200);
  assert.equal(body.semantic.used, false);
  assert.deepEqual(body.semantic.attempts.map((a: { outcome: string }) => a.outcome), ["timeout", "unavailable"]);
  assert.deepEqual(body.results.map((r: { id: string }) => r.id), [id]);
});

Deno.test("bad input names the field; the rate limit answers 429", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  for (
    const [body, field] of [
      [{}, "query"],
      [{ query: "x", page_size: 500 }, "page_size"],
      [{ query: "x", filters: { types: ["pdf"] } }, "filters.types.0"],
      [{ query: "x", filters: { created_from: "yesterday" } }, "filters.created_from"],
    ] as const
  ) {
    const answer = await search(docs, user, body);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.details.fields[0].field, field);
  }
  await docs.setRequestsThisHour(user.id, "search-engine", 100);
  const limited = await search(docs, user, { query: "anything" });
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.code, "rate_limited");
});
