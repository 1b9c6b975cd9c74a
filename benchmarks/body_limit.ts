/**
 * What the streaming size check of readJsonBody (functions/_shared/validation.ts) costs and saves, against the
 * reader it replaced (`await req.text()`, then the size check) in the same process:
 *
 * - an ordinary 100 KiB JSON body, parsed 2,000 times: time per parse, ratio new / old;
 * - a chunked body of 64 MiB (the attack streams far more; 64 MiB keeps the baseline quick): bytes read from the
 *   stream and the heap growth until the 413, and the time to it.
 *
 *   node_modules/.bin/deno run --allow-read=functions --v8-flags=--expose-gc benchmarks/body_limit.ts
 */
import { HttpError } from "../functions/_shared/errors.ts";
import { readJsonBody } from "../functions/_shared/validation.ts";

const LIMIT = 256 * 1024;
const CHUNK = 64 * 1024;
const ATTACK_BYTES = 64 * 1024 * 1024;
const ROUNDS = 2_000;

/** The reader before the fix, as it was. */
async function readWholeThenCheck(req: Request, maxBytes = LIMIT): Promise<unknown> {
  const text = await req.text();
  if (new TextEncoder().encode(text).length > maxBytes) throw new HttpError(413, "body_too_large", "too large");
  return JSON.parse(text);
}

type Reader = (req: Request, maxBytes?: number) => Promise<unknown>;

function streamedBody(totalBytes: number) {
  const chunk = new Uint8Array(CHUNK).fill(0x61);
  const seen = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= totalBytes) return controller.close();
      seen.pulled += CHUNK;
      controller.enqueue(chunk.slice());
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

async function ordinaryBody(read: Reader): Promise<number> {
  const body = JSON.stringify({ content: "x".repeat(100 * 1024) });
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) await read(new Request("http://localhost/", { method: "POST", body }));
  return (performance.now() - started) / ROUNDS;
}

async function oversizedBody(read: Reader): Promise<{ pulledMiB: number; heapMiB: number; ms: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const heapBefore = Deno.memoryUsage().heapUsed;
  const { stream, seen } = streamedBody(ATTACK_BYTES);
  const started = performance.now();
  let heapPeak = heapBefore;
  try {
    await read(new Request("http://localhost/", { method: "POST", body: stream }));
  } catch (error) {
    if (!(error instanceof HttpError) || error.status !== 413) throw error;
    heapPeak = Math.max(heapPeak, Deno.memoryUsage().heapUsed);
  }
  const ms = performance.now() - started;
  return { pulledMiB: seen.pulled / 2 ** 20, heapMiB: (heapPeak - heapBefore) / 2 ** 20, ms };
}

if (import.meta.main) {
  await ordinaryBody(readJsonBody); // warm up both paths
  await ordinaryBody(readWholeThenCheck);
  const [oldMs, newMs] = [await ordinaryBody(readWholeThenCheck), await ordinaryBody(readJsonBody)];
  console.log(
    `100 KiB body: req.text() ${oldMs.toFixed(3)} ms, streaming ${newMs.toFixed(3)} ms per parse ` +
      `(new/old ${(newMs / oldMs).toFixed(2)})`,
  );
  const before = await oversizedBody(readWholeThenCheck);
  const after = await oversizedBody(readJsonBody);
  for (const [name, run] of [["req.text()", before], ["streaming", after]] as const) {
    console.log(
      `64 MiB chunked body, ${name}: read ${run.pulledMiB.toFixed(2)} MiB, heap +${run.heapMiB.toFixed(1)} ` +
        `MiB, 413 after ${run.ms.toFixed(1)} ms`,
    );
  }
  console.log(
    `bytes read before the 413, old/new: ${(before.pulledMiB / after.pulledMiB).toFixed(0)}x; ` +
      `time to the 413, old/new: ${(before.ms / after.ms).toFixed(0)}x`,
  );
}
