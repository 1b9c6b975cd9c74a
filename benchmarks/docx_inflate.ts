/**
 * What the capped, streamed inflation of a .docx (functions/document-processor/inflate.ts) costs and saves, against
 * the reader it replaced (unzipSync of word/document.xml, then decoded whole) in the same process:
 *
 * - a bomb (a 130 KB .docx whose XML inflates to 64 MiB; the reported one went to 300 MB, 64 MiB keeps the baseline
 *   quick): time until the refusal (new) or the end (old), and the growth of the process's peak resident memory
 *   (VmHWM), measured first and new before old, so each figure is what that reader added to the peak;
 * - an ordinary document (about 4 MiB of varied XML), read 20 times: time per read, ratio new / old.
 *
 *   node_modules/.bin/deno run --allow-all benchmarks/docx_inflate.ts   (VmHWM is read from /proc)
 */
import { unzipSync, Zip, ZipDeflate, zipSync } from "npm:fflate@0.8.2";
import { inflateZipEntry, readInflateCaps } from "../functions/document-processor/inflate.ts";

const MiB = 1024 * 1024;
const ENTRY = "word/document.xml";
const CAPS = readInflateCaps({});

/** The reader before the fix, as it was. */
function oldRead(bytes: Uint8Array): string {
  const xml = unzipSync(bytes, { filter: (file) => file.name === ENTRY })[ENTRY];
  return new TextDecoder().decode(xml);
}

function newRead(bytes: Uint8Array): string {
  const chunks = inflateZipEntry(bytes, ENTRY, CAPS) ?? [];
  const decoder = new TextDecoder();
  return chunks.map((c) => decoder.decode(c, { stream: true })).join("") + decoder.decode();
}

function ordinaryDocx(): Uint8Array {
  const words = ["lease", "tenant", "landlord", "deposit", "March", "2031", "clause", "repair", "notice", "rent"];
  const paragraphs: string[] = [];
  for (let i = 0; paragraphs.join("").length < 4 * MiB; i++) {
    const text = Array.from({ length: 40 }, (_, j) => words[(i * 7 + j * 3 + (i % 11)) % words.length] + (i * j % 97));
    paragraphs.push(`<w:p><w:r><w:t>${text.join(" ")}</w:t></w:r></w:p>`);
  }
  return zipSync({
    [ENTRY]: new TextEncoder().encode(`<w:document><w:body>${paragraphs.join("")}</w:body></w:document>`),
  });
}

function bombDocx(mebibytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const zip = new Zip((error, data) => {
    if (error) throw error;
    parts.push(data);
  });
  const xml = new ZipDeflate(ENTRY, { level: 1 });
  zip.add(xml);
  const mebibyte = new TextEncoder().encode("<w:r></w:r>".repeat(Math.ceil(MiB / 11)).slice(0, MiB));
  for (let i = 0; i < mebibytes; i++) xml.push(mebibyte, i === mebibytes - 1);
  zip.end();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, part) => (out.set(part, offset), offset + part.length), 0);
  return out;
}

function peakRssMiB(): number {
  const line = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) => l.startsWith("VmHWM:")) ?? "";
  return Number(line.replace(/\D+/g, "")) / 1024;
}

function timeMs(work: () => unknown): number {
  const started = performance.now();
  try {
    work();
  } catch {
    // the capped reader refuses the bomb: the time to the refusal is the figure
  }
  return performance.now() - started;
}

const ordinary = ordinaryDocx();
const bomb = bombDocx(64);
if (newRead(ordinary) !== oldRead(ordinary)) throw new Error("the two readers disagree on an ordinary document");

const start = peakRssMiB();
const newBomb = timeMs(() => newRead(bomb));
const afterNew = peakRssMiB();
const oldBomb = timeMs(() => oldRead(bomb));
const afterOld = peakRssMiB();
console.log(`bomb .docx (${(bomb.length / 1024).toFixed(0)} KB zipped, 64 MiB of XML):`);
console.log(`  new: refused after ${newBomb.toFixed(0)} ms, peak RSS +${(afterNew - start).toFixed(0)} MiB`);
console.log(`  old: read whole in ${oldBomb.toFixed(0)} ms, peak RSS +${(afterOld - afterNew).toFixed(0)} MiB`);

const rounds = 20;
const oldOrdinary = timeMs(() => Array.from({ length: rounds }, () => oldRead(ordinary))) / rounds;
const newOrdinary = timeMs(() => Array.from({ length: rounds }, () => newRead(ordinary))) / rounds;
console.log(`ordinary .docx (${(ordinary.length / 1024).toFixed(0)} KB zipped, 4 MiB of XML):`);
console.log(
  `  old ${oldOrdinary.toFixed(1)} ms/read, new ${newOrdinary.toFixed(1)} ms/read, ratio new/old ` +
    `${(newOrdinary / oldOrdinary).toFixed(2)}`,
);
