/**
 * Request bodies are refused with a 413 before they fill memory: a declared Content-Length over the limit is never
 * read, and a chunked body is counted while it streams and cancelled at the first chunk past the limit.
 */
import assert from "node:assert/strict";
import { HttpError } from "../../functions/_shared/errors.ts";
import { createPublicFunction } from "../../functions/_shared/function.ts";
import { jsonResponse } from "../../functions/_shared/responses.ts";
import { parseBody, readJsonBody, z } from "../../functions/_shared/validation.ts";
import { captureConsole } from "./support/console_capture.ts";

const CHUNK_BYTES = 64 * 1024;
const LIMIT_BYTES = 256 * 1024;
const ATTACK_BYTES = 300 * 1024 * 1024;

/** A body of `totalBytes` made on demand, one chunk per pull, that records how much was pulled and a cancel. */
function countingBody(totalBytes: number) {
  const chunk = new Uint8Array(CHUNK_BYTES).fill(0x61);
  const seen = { pulledBytes: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulledBytes >= totalBytes) return controller.close();
      seen.pulledBytes += chunk.byteLength;
      controller.enqueue(chunk.slice());
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

function isTooLarge(error: HttpError): boolean {
  assert.equal(error.status, 413);
  assert.equal(error.code, "body_too_large");
  return true;
}

Deno.test("body limit: a chunked 300 MB body is cancelled at the first chunk past the limit", async () => {
  const { stream, seen } = countingBody(ATTACK_BYTES);
  const req = new Request("http://localhost/x", { method: "POST", body: stream });
  assert.equal(req.headers.get("content-length"), null, "a streamed body declares no length");
  await assert.rejects(() => readJsonBody(req, LIMIT_BYTES), isTooLarge);
  assert.ok(
    seen.pulledBytes <= LIMIT_BYTES + CHUNK_BYTES,
    `read ${seen.pulledBytes} bytes of a ${ATTACK_BYTES}-byte body; at most one chunk past the limit may be read`,
  );
  assert.ok(seen.cancelled, "the rest of the stream is cancelled, so the server stops receiving it");
});

Deno.test("body limit: a declared Content-Length over the limit is refused before any byte is read", async () => {
  const { stream, seen } = countingBody(ATTACK_BYTES);
  const req = new Request("http://localhost/x", {
    method: "POST",
    body: stream,
    headers: { "content-length": String(ATTACK_BYTES) },
  });
  await assert.rejects(() => readJsonBody(req, LIMIT_BYTES), isTooLarge);
  assert.equal(seen.pulledBytes, 0, "no byte of a body declared too large is read");
  assert.ok(seen.cancelled);
});

Deno.test("body limit: a body exactly at the limit is read; multi-byte characters count as bytes", async () => {
  const padding = LIMIT_BYTES - JSON.stringify({ a: "" }).length;
  const atLimit = JSON.stringify({ a: "x".repeat(padding) });
  assert.equal(new TextEncoder().encode(atLimit).length, LIMIT_BYTES);
  const parsed = await parseBody(
    new Request("http://localhost/x", { method: "POST", body: atLimit }),
    z.object({ a: z.string() }),
  );
  assert.equal(parsed.a.length, padding);

  // Half as many characters as the limit, but each "é" is 2 bytes in UTF-8: one byte over.
  const overInBytes = JSON.stringify({ a: "é".repeat(padding / 2) + "x" });
  assert.ok(overInBytes.length < LIMIT_BYTES);
  await assert.rejects(
    () => readJsonBody(new Request("http://localhost/x", { method: "POST", body: overInBytes }), LIMIT_BYTES),
    isTooLarge,
  );
});

Deno.test("body limit: a Content-Length that lies low does not let more bytes through", async () => {
  // A server may not trust a declared length: the count while reading is what holds.
  const { stream, seen } = countingBody(ATTACK_BYTES);
  const req = new Request("http://localhost/x", { method: "POST", body: stream, headers: { "content-length": "10" } });
  await assert.rejects(() => readJsonBody(req, LIMIT_BYTES), isTooLarge);
  assert.ok(seen.pulledBytes <= LIMIT_BYTES + CHUNK_BYTES, `read ${seen.pulledBytes} bytes`);
});

Deno.test("body limit: invalid UTF-8 is a 400 naming the encoding", async () => {
  const req = new Request("http://localhost/x", { method: "POST", body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
  await assert.rejects(() => readJsonBody(req), (error: HttpError) => {
    assert.equal(error.status, 400);
    assert.match(error.message, /UTF-8/);
    return true;
  });
});

Deno.test("body limit: over real HTTP, a client streaming 300 MB gets its 413 after a few megabytes at most", async () => {
  const fn = createPublicFunction(
    { name: "echo", env: {}, methods: ["POST"] },
    async (req) => jsonResponse(await parseBody(req, z.object({ a: z.string() }))),
  );
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => fn.fetch(req));
  const { stream, seen } = countingBody(ATTACK_BYTES);
  try {
    const { result: response } = await captureConsole(() =>
      fetch(`http://127.0.0.1:${server.addr.port}/echo`, { method: "POST", body: stream })
    );
    assert.equal(response.status, 413);
    assert.equal((await response.json()).error.code, "body_too_large");
    // What the client managed to push is bounded by socket buffers, not by the 300 MB it offered.
    assert.ok(seen.pulledBytes < 16 * 1024 * 1024, `the client sent ${seen.pulledBytes} bytes before the 413`);
  } finally {
    await stream.cancel().catch(() => {});
    await server.shutdown();
  }
});
