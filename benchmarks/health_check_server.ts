/**
 * The servers benchmarks/health_check.py measures, all in this one Deno process and each served the way
 * functions/health-check/index.ts serves it in production (`Deno.serve(handler.fetch)`), on its own loopback port:
 *
 * - `baseline`: guide 000 section 7.5's health check, a static JSON answer;
 * - `no_cache`: health-check with HEALTH_CACHE_SECONDS=0, so every request runs every check;
 * - `cached`: health-check with the deployed defaults (results reused for 10 s);
 * - `openai_hangs`: health-check without cache whose OpenAI never answers (the others do).
 *
 * Checks go to the test suite's fakes (tests/functions/support) on loopback and to the migrated database in
 * TEST_DATABASE_URL. HEALTH_CHECK_TIMEOUT_MS is left at its default, as deployed. Prints one line,
 * `HEALTH_BENCH_READY {"baseline": url, "no_cache": url, ...}`, then serves until stdin closes.
 */
import { createHandler } from "../functions/health-check/handler.ts";
import { FakeProvider } from "../tests/functions/support/fake_ai.ts";
import { startWorld } from "../tests/functions/support/world.ts";

export const READY_MARKER = "HEALTH_BENCH_READY";

/** Guide 000, section 7.5, as written. */
function guideHealthCheck(_req: Request): Response {
  const health = {
    status: "healthy",
    timestamp: new Date().toISOString(),
    version: "1.0.0",
  };
  return new Response(JSON.stringify(health), {
    headers: { "Content-Type": "application/json" },
  });
}

function serve(handle: (req: Request) => Response | Promise<Response>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handle);
  return { server, url: `http://127.0.0.1:${server.addr.port}/functions/v1/health-check` };
}

if (import.meta.main) {
  // The deployed deadline and cache, not the test world's shorter ones.
  const world = await startWorld({ HEALTH_CHECK_TIMEOUT_MS: undefined, HEALTH_CACHE_SECONDS: undefined });
  const hangingOpenai = new FakeProvider("openai", { input: 1, output: 1 });
  const handlers = {
    no_cache: createHandler({ ...world.env, HEALTH_CACHE_SECONDS: "0" }),
    cached: createHandler(world.env),
    openai_hangs: createHandler({ ...world.env, HEALTH_CACHE_SECONDS: "0", OPENAI_BASE_URL: hangingOpenai.baseUrl }),
  };
  const served = {
    baseline: serve(guideHealthCheck),
    no_cache: serve(handlers.no_cache.fetch),
    cached: serve(handlers.cached.fetch),
    openai_hangs: serve(handlers.openai_hangs.fetch),
  };
  // One healthy run first, so the measured hang does not also pay for the first database connection.
  const warmUp = await fetch(served.openai_hangs.url);
  if (warmUp.status !== 200) throw new Error(`warm-up of openai_hangs answered ${warmUp.status}`);
  await warmUp.body?.cancel();
  hangingOpenai.mode = "hang";

  const urls = Object.fromEntries(Object.entries(served).map(([name, { url }]) => [name, url]));
  console.log(`${READY_MARKER} ${JSON.stringify(urls)}`);
  for await (const _ of Deno.stdin.readable) { /* serve until the benchmark closes our stdin */ }

  await Promise.all(Object.values(served).map(({ server }) => server.shutdown()));
  await Promise.all(Object.values(handlers).map((handler) => handler.close()));
  await Promise.all([hangingOpenai.close(), world.close()]);
}
