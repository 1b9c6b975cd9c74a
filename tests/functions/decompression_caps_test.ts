/**
 * Issue 20, hole 6: decompression bombs. A 0.41 MB .docx whose word/document.xml inflated to 300 MB ended the
 * document worker, and its job was retried five times. Each bomb here is real: a Word document made with fflate's
 * streaming zip writer whose XML inflates far past the cap, and a PNG header declaring a huge canvas.
 */
import assert from "node:assert/strict";
import { Zip, ZipDeflate, zipSync } from "npm:fflate@0.8.2";
import { checkImagePixels, declaredPixels } from "../../functions/document-processor/image_caps.ts";
import {
  DecompressionCapExceeded,
  inflateZipEntry,
  readInflateCaps,
} from "../../functions/document-processor/inflate.ts";
import { startDocumentsWorld } from "./support/documents_world.ts";

const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const MiB = 1024 * 1024;
const CAPS = readInflateCaps({});

/** A .docx whose word/document.xml inflates to `mebibytes` MiB of empty runs; built as a stream, never whole. */
function docxBomb(mebibytes: number): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  const zip = new Zip((error, data) => {
    if (error) throw error;
    parts.push(data);
  });
  const xml = new ZipDeflate("word/document.xml", { level: 1 });
  zip.add(xml);
  const run = "<w:r></w:r>";
  const mebibyte = new TextEncoder().encode(run.repeat(Math.ceil(MiB / run.length)).slice(0, MiB));
  for (let i = 0; i < mebibytes; i++) xml.push(mebibyte, i === mebibytes - 1);
  zip.end();
  const bomb = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, part) => (bomb.set(part, offset), offset + part.length), 0);
  return bomb;
}

/** A PNG's signature and IHDR chunk declaring width x height (all image-size, and a decoder, read first). */
function pngHeader(width: number, height: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 6, 0, 0, 0], 24);
  return bytes;
}

const BOMB = docxBomb(64);

Deno.test("a .docx inflating 500 times its size is refused while it inflates, by its ratio or its size", () => {
  assert.ok(BOMB.length < 200 * 1024, `the bomb is small: ${BOMB.length} bytes`);
  assert.throws(
    () => inflateZipEntry(BOMB, "word/document.xml", CAPS),
    (e: unknown) => e instanceof DecompressionCapExceeded && /more than 100 times its \d+ compressed/.test(e.message),
  );
  assert.throws(
    () => inflateZipEntry(BOMB, "word/document.xml", { ...CAPS, maxRatio: 10_000 }),
    (e: unknown) => e instanceof DecompressionCapExceeded && /inflates past the cap of 16777216 bytes/.test(e.message),
  );
});

Deno.test("the ratio cap refuses a small entry that inflates more than 100 times its compressed size", () => {
  const zeros = zipSync({ "word/document.xml": new Uint8Array(2 * MiB) }, { level: 9 });
  assert.throws(
    () => inflateZipEntry(zeros, "word/document.xml", CAPS),
    (e: unknown) => e instanceof DecompressionCapExceeded && /more than 100 times/.test(e.message),
  );
  const declared = zipSync({ "word/document.xml": new Uint8Array(17 * MiB) }, { level: 9 });
  assert.throws(
    () => inflateZipEntry(declared, "word/document.xml", { maxBytes: 16 * MiB, maxRatio: 10_000 }),
    (e: unknown) => e instanceof DecompressionCapExceeded && /declares 17825792 bytes inflated/.test(e.message),
  );
});

Deno.test("an ordinary document inflates whole; a missing entry, or a file that is no zip, has no entry", () => {
  const xml = new TextEncoder().encode("<w:p><w:r><w:t>Lease of the flat</w:t></w:r></w:p>".repeat(2000));
  const chunks = inflateZipEntry(zipSync({ "word/document.xml": xml }), "word/document.xml", CAPS);
  assert.equal(chunks?.reduce((n, c) => n + c.length, 0), xml.length);
  assert.equal(inflateZipEntry(zipSync({ "other.xml": xml }), "word/document.xml", CAPS), undefined);
  assert.equal(inflateZipEntry(new TextEncoder().encode("PK not really"), "word/document.xml", CAPS), undefined);
});

Deno.test("an image declaring more pixels than the cap is refused before Vision decodes it", () => {
  assert.equal(declaredPixels(pngHeader(60_000, 60_000)), 3_600_000_000);
  assert.throws(
    () => checkImagePixels(pngHeader(60_000, 60_000), { maxPixels: 50_000_000 }),
    (e: unknown) => e instanceof DecompressionCapExceeded && /declares 3600000000 pixels/.test(e.message),
  );
  checkImagePixels(pngHeader(2480, 3508), { maxPixels: 50_000_000 }); // an A4 page at 300 dpi
  assert.equal(declaredPixels(new TextEncoder().encode("not an image")), undefined);
});

Deno.test("hole 6: a .docx bomb is dead-lettered on its first attempt and nothing is paid for it", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const doc = await docs.upload(user, { fileName: "bomb.docx", mimeType: DOCX, bytes: BOMB });
  const canvas = await docs.upload(user, {
    fileName: "canvas.png",
    mimeType: "image/png",
    bytes: pngHeader(60_000, 60_000),
  });
  for (const id of [doc.id, canvas.id]) {
    const run = await docs.process(id);
    assert.equal(run.dead_lettered, 1, JSON.stringify(run));
    const [after] = await docs.sql`
      select d.status, d.processing_error, q.status as job_status, q.attempts
      from documents d join processing_queue q on q.document_id = d.id where d.id = ${id}`;
    assert.equal(after.status, "failed");
    assert.equal(after.job_status, "failed");
    assert.equal(after.attempts, 1, "not retried");
    assert.match(after.processing_error, /refused as a decompression bomb/);
  }
  assert.deepEqual(docs.google.visionCalls, [], "Vision was not asked to decode the canvas");
  assert.deepEqual(docs.embeddings.calls, []);
});
