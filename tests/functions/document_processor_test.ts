/**
 * document-processor on the migrated database, with Storage, Google Vision, the AI providers and the embeddings
 * APIs as loopback stand-ins: text by type, summary and embeddings with their fallbacks, retries with backoff and
 * a dead letter, re-runs and duplicates that pay for nothing twice, concurrent workers, and who may call it.
 */
import assert from "node:assert/strict";
import { zipSync } from "npm:fflate@0.8.2";
import { createHandler } from "../../functions/document-processor/handler.ts";
import { type DocumentsWorld, startDocumentsWorld } from "./support/documents_world.ts";
import { request } from "./support/world.ts";

const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

async function state(docs: DocumentsWorld, id: string) {
  const [doc] = await docs.sql`
    select d.status, d.extracted_text, d.ai_summary, d.processing_error, d.content_sha256, d.duplicate_of,
           q.status as job_status, q.attempts, q.last_error,
           (select count(*)::int from document_embeddings e where e.document_id = d.id) as chunks,
           (select array_agg(distinct e.model) from document_embeddings e where e.document_id = d.id) as models
    from documents d join processing_queue q on q.document_id = d.id where d.id = ${id}`;
  return doc;
}

Deno.test("an image is read by OCR, summarised, chunked and embedded, with one metrics row per run", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  docs.ai.openai.reply = "A passport of Jane Doe, valid until 2031.";
  const doc = await docs.upload(user, {
    fileName: "passport.png",
    mimeType: "image/png",
    text: "PASSPORT Jane Doe 2031",
  });
  const run = await docs.process(doc.id);
  assert.equal(run.completed, 1);
  const after = await state(docs, doc.id);
  assert.equal(after.status, "completed");
  assert.equal(after.job_status, "completed");
  assert.equal(after.extracted_text, "PASSPORT Jane Doe 2031");
  assert.equal(after.ai_summary, "A passport of Jane Doe, valid until 2031.");
  assert.match(after.content_sha256, /^[0-9a-f]{64}$/);
  assert.equal(after.chunks, 1);
  assert.deepEqual(after.models, ["text-embedding-3-small"]);
  assert.deepEqual(docs.google.visionCalls.map((c) => c.method), ["images:annotate"]);
  const metrics = await docs.sql`
    select success, metadata from performance_metrics
    where function_name = 'document-processor' and metadata ->> 'request_id' is not null
      and metadata ->> 'worker' = ${run.worker as string}`;
  assert.equal(metrics.length, 1);
  assert.equal(metrics[0].success, true);
  assert.equal(metrics[0].metadata.completed, 1);
});

Deno.test("a PDF is read five pages per files:annotate call, a .docx from its XML, plain text as is", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const pages = Array.from({ length: 7 }, (_, i) => `Page ${i + 1} of the lease`).join("\f");
  const pdf = await docs.upload(user, { fileName: "lease.pdf", mimeType: "application/pdf", text: pages });
  await docs.process(pdf.id);
  const lease = await state(docs, pdf.id);
  assert.equal(lease.status, "completed");
  assert.ok(
    lease.extracted_text.includes("Page 1 of the lease") && lease.extracted_text.includes("Page 7 of the lease"),
  );
  assert.deepEqual(docs.google.visionCalls.map((c) => c.pages), [[1, 2, 3, 4, 5], [6, 7]]);

  const xml = `<w:document><w:body><w:p><w:r><w:t>Will &amp; testament</w:t></w:r></w:p>` +
    `<w:p><w:r><w:t xml:space="preserve">of John</w:t></w:r></w:p></w:body></w:document>`;
  const docx = zipSync({ "word/document.xml": new TextEncoder().encode(xml) }) as Uint8Array<ArrayBuffer>;
  const will = await docs.upload(user, { fileName: "will.docx", mimeType: DOCX, bytes: docx });
  await docs.process(will.id);
  assert.equal((await state(docs, will.id)).extracted_text, "Will & testament\nof John");
  assert.equal(docs.google.visionCalls.length, 2, "no OCR for a Word document");
});

Deno.test("a legacy .doc and a file Vision refuses go to the dead letter at once", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const doc = await docs.upload(user, { fileName: "old.doc", mimeType: "application/msword", text: "binary" });
  const corrupt = await docs.upload(user, { fileName: "broken.jpg", mimeType: "image/jpeg", text: "CORRUPT jpeg" });
  for (const id of [doc.id, corrupt.id]) {
    const run = await docs.process(id);
    assert.equal(run.dead_lettered, 1);
    const after = await state(docs, id);
    assert.equal(after.status, "failed");
    assert.equal(after.job_status, "failed");
    assert.equal(after.attempts, 1);
  }
  assert.match((await state(docs, doc.id)).processing_error, /save the document as \.docx or PDF/);
  assert.match((await state(docs, corrupt.id)).processing_error, /Vision refused the file/);
});

Deno.test("an OCR outage is retried with backoff and dead-lettered after the last attempt", async () => {
  await using docs = await startDocumentsWorld({
    PROCESSOR_MAX_ATTEMPTS: "3",
    PROCESSOR_BACKOFF_SECONDS: "60",
    GOOGLE_VISION_TIMEOUT_MS: "300",
  });
  const user = await docs.createUser();
  const doc = await docs.upload(user, { fileName: "scan.png", mimeType: "image/png", text: "Insurance policy" });
  docs.google.visionMode = "error_500";
  assert.equal((await docs.process(doc.id)).retried, 1);
  let after = await state(docs, doc.id);
  assert.deepEqual([after.status, after.job_status, after.attempts], ["queued", "queued", 1]);
  assert.match(after.processing_error, /HTTP 500/);
  const [{ wait }] = await docs.sql`
    select extract(epoch from run_after - now())::int as wait from processing_queue where document_id = ${doc.id}`;
  assert.ok(wait > 50 && wait <= 60, `the first retry waits the base backoff (${wait}s)`);
  assert.equal((await docs.process(doc.id)).claimed, 0, "not before its time");

  const due = () => docs.sql`update processing_queue set run_after = now() where document_id = ${doc.id}`;
  await due();
  docs.google.visionMode = "hang";
  assert.equal((await docs.process(doc.id)).retried, 1);
  assert.match((await state(docs, doc.id)).last_error, /timed out after 300 ms/);
  const [{ wait: second }] = await docs.sql`
    select extract(epoch from run_after - now())::int as wait from processing_queue where document_id = ${doc.id}`;
  assert.ok(second > 110, `the backoff doubles (${second}s)`);
  await due();
  assert.equal((await docs.process(doc.id)).dead_lettered, 1);
  after = await state(docs, doc.id);
  assert.deepEqual([after.status, after.job_status, after.attempts], ["failed", "failed", 3]);
});

Deno.test("embeddings fall back to Hugging Face, the summary to the next AI provider", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  docs.embeddings.openaiMode = "rate_limited_429";
  docs.ai.openai.mode = "error_500";
  docs.ai.anthropic.reply = "Summary by the fallback provider.";
  const doc = await docs.upload(user, { fileName: "note.png", mimeType: "image/png", text: "Garage door code" });
  await docs.process(doc.id);
  const after = await state(docs, doc.id);
  assert.equal(after.status, "completed");
  assert.deepEqual(after.models, ["Alibaba-NLP/gte-Qwen2-1.5B-instruct"]);
  assert.equal(after.ai_summary, "Summary by the fallback provider.");
  assert.deepEqual(docs.embeddings.calls.map((c) => c.provider), ["openai", "huggingface"]);

  docs.embeddings.huggingfaceMode = "bad_answer";
  const other = await docs.upload(user, { fileName: "other.png", mimeType: "image/png", text: "Boiler manual" });
  assert.equal((await docs.process(other.id)).retried, 1, "no embeddings: retried, nothing half-saved");
  const failed = await state(docs, other.id);
  assert.equal(failed.chunks, 0);
  assert.match(failed.processing_error, /No embeddings provider could answer/);
});

Deno.test("a re-run of a finished job and a duplicate upload pay for nothing again", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const doc = await docs.upload(user, { fileName: "deed.png", mimeType: "image/png", text: "House deed 12 Elm" });
  await docs.process(doc.id);
  const before = await docs.sql`select id, content from document_embeddings where document_id = ${doc.id} order by id`;
  const calls = docs.google.visionCalls.length + docs.embeddings.calls.length + docs.ai.openai.completions.length;
  // The same job delivered again (a worker that crashed after committing, a replayed schedule).
  await docs.sql`update processing_queue set status = 'queued' where document_id = ${doc.id}`;
  assert.equal((await docs.process(doc.id)).completed, 1);
  const after = await docs.sql`select id, content from document_embeddings where document_id = ${doc.id} order by id`;
  assert.deepEqual(after, before);
  assert.equal(
    docs.google.visionCalls.length + docs.embeddings.calls.length + docs.ai.openai.completions.length,
    calls,
  );

  const copy = await docs.upload(user, { fileName: "deed (1).png", mimeType: "image/png", text: "House deed 12 Elm" });
  assert.equal((await docs.process(copy.id)).reused, 1);
  const reused = await state(docs, copy.id);
  assert.equal(reused.duplicate_of, doc.id);
  assert.equal(reused.chunks, 1);
  assert.equal(reused.extracted_text, "House deed 12 Elm");
  assert.equal(
    docs.google.visionCalls.length + docs.embeddings.calls.length + docs.ai.openai.completions.length,
    calls,
  );
});

Deno.test("concurrent workers never process a document twice, and a dead worker's job is taken back", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    ids.push(
      (await docs.upload(user, { fileName: `r${i}.png`, mimeType: "image/png", text: `Receipt number ${i}` })).id,
    );
  }
  // Only this test's jobs are due: older ones from other tests wait.
  await docs.sql`update processing_queue set run_after = now() + interval '1 hour'
                 where status = 'queued' and not (document_id = any(${ids}))`;
  try {
    const runs = await Promise.all([
      docs.process(undefined, 10),
      docs.process(undefined, 10),
      docs.process(undefined, 10),
    ]);
    const processed = runs.flatMap((r) => (r.results as { document_id: string }[]).map((x) => x.document_id));
    assert.deepEqual([...processed].sort(), [...ids].sort(), "each document once, by exactly one worker");
    assert.equal(docs.google.visionCalls.length, 6);

    await docs.sql`update processing_queue set status = 'processing', locked_by = 'dead-worker',
                   locked_at = now() - interval '1 hour' where document_id = ${ids[0]}`;
    await docs.sql`update documents set status = 'processing' where id = ${ids[0]}`;
    const rescue = await docs.process(ids[0]);
    assert.equal(rescue.released, 1);
  } finally {
    await docs.sql`update processing_queue set run_after = now() where status = 'queued' and run_after > now()`;
  }
});

Deno.test("only the service role may run the worker; bad bodies are refused", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const handler = createHandler(docs.env);
  try {
    const asUser = await handler.fetch(request("document-processor", { token: user.token, body: {} }));
    assert.equal(asUser.status, 403);
    assert.equal((await asUser.json()).error.code, "service_role_required");
    const anonymous = await handler.fetch(request("document-processor", { body: {} }));
    assert.equal(anonymous.status, 401);
    const bad = await handler.fetch(request("document-processor", { token: docs.serviceKey, body: { max_jobs: 500 } }));
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /max_jobs/);
    const empty = await handler.fetch(
      new Request("http://localhost/functions/v1/document-processor", {
        method: "POST",
        headers: { authorization: `Bearer ${docs.serviceKey}` },
      }),
    );
    assert.equal(empty.status, 200, "a schedule may post no body at all");
    await empty.body?.cancel();
    const huge = await handler.fetch(
      request("document-processor", { token: docs.serviceKey, body: { pad: "x".repeat(5000) } }),
    );
    assert.equal(huge.status, 413);
    await huge.body?.cancel();
  } finally {
    await handler.close();
  }
});

Deno.test("issue 20 hole 4: OCR pages count against the owner's day; past it the job waits, a too-long PDF stops", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const pdf = (pages: number, name: string) =>
    docs.upload(user, {
      fileName: `${name}.pdf`,
      mimeType: "application/pdf",
      text: Array.from({ length: pages }, (_, i) => `${name} page ${i + 1}`).join("\f"),
    });
  // 25 of the free tier's 30 pages a day.
  const first = await pdf(25, "first");
  await docs.process(first.id);
  assert.equal((await state(docs, first.id)).status, "completed");
  // Ten more pages do not fit today: after the first five, the job waits for midnight UTC, no attempt used.
  const second = await pdf(10, "second");
  await docs.process(second.id);
  const waiting = await state(docs, second.id);
  assert.equal(waiting.job_status, "queued");
  assert.equal(waiting.attempts, 0);
  assert.match(waiting.last_error, /free tier allows 30 ocr pages a day/);
  const [{ run_after }] = await docs.sql`select run_after from processing_queue where document_id = ${second.id}`;
  const midnight = new Date();
  midnight.setUTCHours(24, 0, 0, 0);
  assert.equal(run_after.getTime(), midnight.getTime());
  const pagesSent = docs.google.visionCalls.reduce((sum, call) => sum + (call.pages?.length ?? 1), 0);
  assert.equal(pagesSent, 30, "Vision was asked for exactly the day's budget");

  // A PDF longer than a whole day's budget is refused for good on the day it would pass it, not read again daily.
  const other = await docs.createUser();
  const long = await docs.upload(other, {
    fileName: "long.pdf",
    mimeType: "application/pdf",
    text: Array.from({ length: 45 }, (_, i) => `page ${i + 1}`).join("\f"),
  });
  await docs.process(long.id);
  const stopped = await state(docs, long.id);
  assert.equal(stopped.status, "failed");
  assert.match(stopped.processing_error, /more pages than the free tier reads by OCR in a day \(30\)/);
});
