/**
 * health-check: healthy with timings when everything answers; degraded (503) when the database or Storage fails
 * or hangs, within the check deadline; AI providers without a key are "not configured"; nothing secret in the
 * answer or the logs.
 */
import assert from "node:assert/strict";
import { createHandler, type HealthReport } from "../../functions/health-check/handler.ts";
import { ALL_TEST_SECRETS, TEST_SERVICE_ROLE_KEY } from "./support/env.ts";
import { captureConsole } from "./support/console_capture.ts";
import { startServer } from "./support/server.ts";
import { request, startWorld, type TestWorld } from "./support/world.ts";

async function health(world: TestWorld, method = "GET") {
  const handler = createHandler(world.env);
  try {
    const started = performance.now();
    const response = await handler.fetch(request("health-check", { method }));
    const text = await response.text();
    const elapsedMs = performance.now() - started;
    return {
      status: response.status,
      headers: response.headers,
      text,
      report: text ? JSON.parse(text) as HealthReport : null,
      elapsedMs,
    };
  } finally {
    await handler.close();
  }
}

Deno.test("everything answers: healthy, 200, each check with its timing, and the version", async () => {
  await using world = await startWorld({ APP_VERSION: "2.3.4" });

  const { status, report, headers } = await health(world);

  assert.equal(status, 200);
  assert.equal(report!.status, "healthy");
  assert.equal(report!.version, "2.3.4");
  assert.ok(!Number.isNaN(Date.parse(report!.timestamp)));
  assert.equal(report!.checks.database.status, "ok");
  assert.equal(report!.checks.storage.status, "ok");
  assert.deepEqual(Object.keys(report!.checks.ai_providers), ["openai", "claude", "gemini"]);
  for (
    const check of [report!.checks.database, report!.checks.storage, ...Object.values(report!.checks.ai_providers)]
  ) {
    assert.equal(check.status, "ok");
    assert.equal(typeof check.duration_ms, "number");
  }
  assert.equal(world.supabase.storageRequests.length, 1, "Storage is asked with the service-role key");
  assert.equal(world.ai.openai.requests[0].path, "/v1/models");
  assert.equal(world.ai.openai.completions.length, 0, "a health check must not spend tokens");
  assert.equal(headers.get("cache-control"), "no-store");
  assert.equal(headers.get("strict-transport-security"), "max-age=31536000; includeSubDomains");
});

Deno.test("the version defaults to the guide's 1.0.0", async () => {
  await using world = await startWorld();
  assert.equal((await health(world)).report!.version, "1.0.0");
});

Deno.test("a provider without a key is not configured, not a failure", async () => {
  await using world = await startWorld({ ANTHROPIC_API_KEY: undefined });

  const { status, report } = await health(world);

  assert.equal(status, 200);
  assert.equal(report!.status, "healthy");
  assert.equal(report!.checks.ai_providers.claude.status, "not_configured");
  assert.equal(world.ai.anthropic.requests.length, 0);
});

Deno.test("database down: degraded, 503, with the reason and no connection details", async () => {
  await using world = await startWorld({ SUPABASE_DB_URL: "postgresql://postgres:pg-pass-w0rd@127.0.0.1:1/postgres" });

  const { result, output } = await captureConsole(() => health(world));

  assert.equal(result.status, 503);
  assert.equal(result.report!.status, "degraded");
  assert.equal(result.report!.checks.database.status, "failed");
  assert.equal(result.report!.checks.database.error, "connection refused");
  assert.equal(result.report!.checks.storage.status, "ok");
  assert.ok(!result.text.includes("127.0.0.1"), "the answer names the database host");
  assert.ok(!result.text.includes("pg-pass-w0rd"));
  assert.ok(!output.text().includes("pg-pass-w0rd"), "the database password reached the logs");
});

Deno.test("a database that never answers is abandoned within the check deadline", async () => {
  // Accepts connections and says nothing, like a server stuck under load.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    await using world = await startWorld({
      SUPABASE_DB_URL: `postgresql://postgres@127.0.0.1:${silent.addr.port}/postgres`,
      HEALTH_CHECK_TIMEOUT_MS: "400",
    });
    const { status, report, elapsedMs } = await health(world);
    assert.equal(status, 503);
    assert.equal(report!.checks.database.error, "timed out after 400 ms");
    assert.ok(
      report!.checks.database.duration_ms < 1000,
      `database check took ${report!.checks.database.duration_ms} ms`,
    );
    assert.ok(elapsedMs < 1500, `the health check took ${Math.round(elapsedMs)} ms`);
  } finally {
    silent.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("storage failing: degraded, 503, with the HTTP status", async () => {
  await using world = await startWorld();
  world.supabase.storageMode = "error_500";

  const { status, report } = await health(world);

  assert.equal(status, 503);
  assert.equal(report!.status, "degraded");
  assert.deepEqual({ ...report!.checks.storage, duration_ms: 0 }, {
    status: "failed",
    error: "HTTP 500",
    duration_ms: 0,
  });
  assert.equal(report!.checks.database.status, "ok");
});

Deno.test("storage hanging: the check gives up at its deadline, in parallel with the others", async () => {
  await using world = await startWorld({ HEALTH_CHECK_TIMEOUT_MS: "300" });
  world.supabase.storageMode = "hang";
  world.ai.gemini.mode = "hang";

  const { status, report, elapsedMs } = await health(world);

  assert.equal(status, 503);
  assert.equal(report!.checks.storage.error, "timed out after 300 ms");
  assert.equal(report!.checks.ai_providers.gemini.error, "timed out after 300 ms");
  assert.ok(report!.checks.storage.duration_ms >= 290);
  // Two hanging checks, run in parallel: one deadline, not two.
  assert.ok(elapsedMs < 550, `the health check took ${Math.round(elapsedMs)} ms`);
});

Deno.test("one AI provider failing: degraded but 200, since the chat falls back", async () => {
  await using world = await startWorld();
  world.ai.openai.mode = "unavailable_503";

  const { status, report } = await health(world);

  assert.equal(status, 200);
  assert.equal(report!.status, "degraded");
  assert.deepEqual({ ...report!.checks.ai_providers.openai, duration_ms: 0 }, {
    status: "failed",
    error: "HTTP 503",
    duration_ms: 0,
  });
});

Deno.test("an alert the database monitor raised: degraded but 200, naming the alert; cleared once it ages out", async () => {
  await using world = await startWorld();
  await world
    // A count no timestamp or duration in the report can contain by chance ("11" did, during 11 o'clock).
    .sql`insert into private.system_alerts (alert_type, details) values ('high_failure_rate', '{"count": 48213957}')`;
  try {
    const { status, report, text } = await health(world);

    assert.equal(status, 200, "the platform still serves: no failover");
    assert.equal(report!.status, "degraded");
    assert.equal(report!.checks.alerts.status, "failed");
    assert.equal(report!.checks.alerts.error, "active: high_failure_rate");
    assert.ok(!text.includes('"status":"healthy"'), "Route53's string match must not find a healthy status");
    assert.ok(!text.includes("48213957"), "the alert's details stay in the database");

    await world.sql`update private.system_alerts set raised_at = now() - interval '20 minutes'`;
    const later = await health(world);
    assert.equal(later.report!.status, "healthy");
    assert.equal(later.report!.checks.alerts.status, "ok");
    assert.ok(later.text.startsWith('{"status":"healthy"'), "within the 5120 bytes Route53 searches");
  } finally {
    await world.sql`delete from private.system_alerts`;
  }
});

Deno.test("every configured AI provider failing: 503", async () => {
  await using world = await startWorld({ GOOGLE_AI_API_KEY: undefined });
  world.ai.openai.mode = "error_500";
  world.ai.anthropic.mode = "rate_limited_429";

  const { status, report } = await health(world);

  assert.equal(status, 503);
  assert.equal(report!.checks.ai_providers.gemini.status, "not_configured");
});

Deno.test("results are reused within HEALTH_CACHE_SECONDS, so callers cannot multiply upstream calls", async () => {
  await using world = await startWorld({ HEALTH_CACHE_SECONDS: "30" });
  const handler = createHandler(world.env);
  try {
    for (let i = 0; i < 3; i++) await (await handler.fetch(request("health-check"))).text();
    assert.equal(world.supabase.storageRequests.length, 1);
    assert.equal(world.ai.openai.requests.length, 1);
  } finally {
    await handler.close();
  }
});

Deno.test("HEAD and POST are answered; other methods are 405", async () => {
  await using world = await startWorld();
  const head = await health(world, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.text, "");
  assert.equal((await health(world, "POST")).status, 200);
  const handler = createHandler(world.env);
  try {
    const response = await handler.fetch(request("health-check", { method: "DELETE" }));
    assert.equal(response.status, 405);
    assert.equal((await response.json()).error.code, "method_not_allowed");
    assert.equal(response.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
  } finally {
    await handler.close();
  }
});

Deno.test("nothing secret in the answer or the logs, healthy or failing", async () => {
  await using world = await startWorld();
  world.supabase.storageMode = "error_500";
  world.ai.openai.mode = "error_500";
  const { result, output } = await captureConsole(() => health(world));
  assert.equal(result.status, 503);
  for (const secret of [...ALL_TEST_SECRETS, world.supabase.url, world.ai.openai.baseUrl]) {
    assert.ok(!result.text.includes(secret), `the answer contains ${secret.slice(0, 12)}...`);
  }
  for (const secret of ALL_TEST_SECRETS) assert.ok(!output.text().includes(secret), "a secret reached the logs");
  assert.ok(output.text().includes("health degraded"), "a degraded check should be logged");
  assert.ok(!result.text.includes(TEST_SERVICE_ROLE_KEY));
});

Deno.test("startServer's helper releases hung requests on close (fakes never block shutdown)", async () => {
  const server = startServer(async (req, self) => {
    await self.hang(req);
    return new Response("late");
  });
  const pending = fetch(server.url).then((r) => r.text()).catch(() => "aborted");
  await new Promise((resolve) => setTimeout(resolve, 50));
  await server.close();
  assert.ok(["late", "aborted"].includes(await pending));
});
