/**
 * The frame measures every function: a sampled performance_metrics row per request, written as service_role,
 * and each 5xx to Sentry's envelope endpoint (a loopback stand-in that checks what Sentry documents: the
 * `X-Sentry-Auth` key, an envelope header with the DSN, one `event` item whose length matches) with secrets
 * and personal data scrubbed.
 */
import assert from "node:assert/strict";
import { createDatabase } from "../../functions/_shared/db.ts";
import { HttpError } from "../../functions/_shared/errors.ts";
import { createPublicFunction, createUserFunction } from "../../functions/_shared/function.ts";
import {
  createHandler as createMarketplace,
  NAME as MARKETPLACE,
} from "../../functions/professional-marketplace/handler.ts";
import { REDACTED } from "../../functions/_shared/log.ts";
import { jsonResponse } from "../../functions/_shared/responses.ts";
import { sentryTarget } from "../../functions/_shared/sentry.ts";
import { captureConsole } from "./support/console_capture.ts";
import { testDatabaseUrl } from "./support/env.ts";
import { json, startServer } from "./support/server.ts";
import { request, startWorld } from "./support/world.ts";

interface Row {
  execution_time_ms: number;
  memory_used_mb: number;
  success: boolean;
  user_tier: string | null;
  metadata: { status: number; method: string; request_id: string };
}

async function rowsOf(name: string): Promise<Row[]> {
  const db = createDatabase({ SUPABASE_DB_URL: testDatabaseUrl() });
  try {
    return await db.asServiceRole((tx) =>
      tx<Row[]>`select execution_time_ms, memory_used_mb, success, user_tier, metadata
                from public.performance_metrics where function_name = ${name} order by "timestamp"`
    );
  } finally {
    await db.close();
  }
}

function measured(name: string, env: Record<string, string>, status: number, random?: () => number) {
  const db = createDatabase({ SUPABASE_DB_URL: testDatabaseUrl() });
  return createPublicFunction({ name, env, methods: ["POST"], resources: [db], random }, async (_req, ctx) => {
    ctx.measure.tier = "premium";
    await new Promise((resolve) => setTimeout(resolve, 15));
    if (status >= 500) throw new Error("the provider fell over");
    return jsonResponse({ ok: true }, status);
  });
}

Deno.test("the frame: one performance_metrics row per measured request, with duration, memory, status and tier", async () => {
  const name = `measured-${crypto.randomUUID().slice(0, 8)}`;
  const fn = measured(name, { PERFORMANCE_SAMPLE_RATE: "1" }, 201);
  const answers = await Promise.all([1, 2, 3].map(() => fn.fetch(request(name, { method: "POST", body: {} }))));
  assert.deepEqual(answers.map((r) => r.status), [201, 201, 201], "the answers do not wait for the rows");
  await fn.close();
  const rows = await rowsOf(name);
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.ok(row.execution_time_ms >= 15, `duration ${row.execution_time_ms} ms`);
    assert.ok(row.memory_used_mb > 1, "the isolate's memory");
    assert.equal(row.success, true);
    assert.equal(row.user_tier, "premium", "what the handler put in ctx.measure");
    assert.deepEqual([row.metadata.status, row.metadata.method], [201, "POST"]);
  }
});

Deno.test("the frame: a signed-in caller's row carries their profile's tier; a tier the handler knows wins", async () => {
  await using world = await startWorld({ PERFORMANCE_SAMPLE_RATE: "1" });
  const family = await world.createUser({ tier: "family_plus" });
  const business = await world.createUser({ tier: "business" });
  const name = `tiered-${crypto.randomUUID().slice(0, 8)}`;
  const db = createDatabase(world.env);
  const fn = createUserFunction({ name, env: world.env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    if ((await req.json()).known) ctx.measure.tier = "premium";
    return jsonResponse({ ok: true });
  });
  try {
    for (const [token, known] of [[family.token, false], [business.token, false], [family.token, true]] as const) {
      assert.equal((await fn.fetch(request(name, { body: { known }, token }))).status, 200);
    }
    assert.equal((await fn.fetch(request(name, { body: {} }))).status, 401);
  } finally {
    await fn.close();
  }
  // The rows are written after the answers, so in any order.
  const tiers = (await rowsOf(name)).map((row) => `${row.metadata.status} ${row.user_tier}`).sort();
  assert.deepEqual(tiers, ["200 business", "200 family_plus", "200 premium", "401 null"]);
});

Deno.test("the frame: a real function's rows carry the caller's tier (professional-marketplace)", async () => {
  await using world = await startWorld({ PERFORMANCE_SAMPLE_RATE: "1" });
  const user = await world.createUser({ tier: "premium" });
  const [before] = await world.sql`
    select count(*)::int as n from public.performance_metrics where function_name = ${MARKETPLACE}`;
  const handler = createMarketplace(world.env);
  try {
    const answer = await handler.fetch(request(`${MARKETPLACE}?view=my_bookings`, { token: user.token }));
    assert.equal(answer.status, 200, await answer.text());
  } finally {
    await handler.close();
  }
  const rows = await world.sql`
    select user_tier from public.performance_metrics where function_name = ${MARKETPLACE}
    order by "timestamp" offset ${before.n}`;
  assert.deepEqual(rows.map((row) => row.user_tier), ["premium"]);
});

Deno.test("the frame: sampling writes only the chosen share, and a 5xx is recorded as a failure", async () => {
  const name = `sampled-${crypto.randomUUID().slice(0, 8)}`;
  const draws = [0.2, 0.7, 0.49, 0.5, 0.9];
  const fn = measured(name, { PERFORMANCE_SAMPLE_RATE: "0.5", SENTRY_DSN: "" }, 500, () => draws.shift() ?? 1);
  await captureConsole(async () => {
    for (let i = 0; i < 5; i++) assert.equal((await fn.fetch(request(name, { method: "POST", body: {} }))).status, 500);
  });
  await fn.close();
  const rows = await rowsOf(name);
  assert.equal(rows.length, 2, "the draws under 0.5 only");
  assert.ok(rows.every((row) => row.success === false && row.metadata.status === 500));

  const off = measured(`${name}-off`, { PERFORMANCE_SAMPLE_RATE: "0" }, 200);
  await off.fetch(request(name, { method: "POST", body: {} }));
  await off.close();
  assert.equal((await rowsOf(`${name}-off`)).length, 0, "rate 0 writes nothing");
});

Deno.test("the frame: the default rate is a tenth; a bad rate falls back to it and says so", async () => {
  const name = `default-${crypto.randomUUID().slice(0, 8)}`;
  const draws = [0.05, 0.15, 0.099];
  const fn = measured(name, { PERFORMANCE_SAMPLE_RATE: "lots" }, 200, () => draws.shift() ?? 1);
  const { output } = await captureConsole(async () => {
    for (let i = 0; i < 3; i++) await fn.fetch(request(name, { method: "POST", body: {} }));
  });
  await fn.close();
  assert.equal((await rowsOf(name)).length, 2);
  assert.ok(output.text().includes("PERFORMANCE_SAMPLE_RATE must be a number from 0 to 1"));
});

Deno.test("sentry: the DSN becomes its envelope endpoint; a malformed or plain-http DSN is no target", () => {
  assert.deepEqual(sentryTarget({ SENTRY_DSN: "https://abc123@o42.ingest.sentry.io/4501" }), {
    envelopeUrl: "https://o42.ingest.sentry.io/api/4501/envelope/",
    publicKey: "abc123",
    dsn: "https://abc123@o42.ingest.sentry.io/4501",
  });
  assert.equal(sentryTarget({ SENTRY_DSN: "http://abc@sentry.example.com/1" }), undefined, "keys only over TLS");
  assert.equal(sentryTarget({ SENTRY_DSN: "not a dsn" }), undefined);
  assert.equal(sentryTarget({}), undefined);
});

Deno.test("sentry: a 5xx reaches the envelope endpoint scrubbed; a 4xx and an unset DSN send nothing", async () => {
  const received: { auth: string | null; path: string; body: string }[] = [];
  const sentry = startServer(async (req) => {
    received.push({ auth: req.headers.get("x-sentry-auth"), path: new URL(req.url).pathname, body: await req.text() });
    return json({ id: "ok" });
  });
  const secret = "sk-live-provider-key-0123456789";
  const env = {
    SENTRY_DSN: `${sentry.url.replace("://", "://pubkey42@")}/7`,
    PROVIDER_API_KEY: secret,
    APP_ENV: "staging",
  };
  const fn = createPublicFunction({ name: "flaky", env, methods: ["POST"] }, async (req) => {
    const body = await req.json();
    if (body.kind === "client") throw new HttpError(400, "bad_request", "no");
    throw new Error(`provider refused ${secret} for jane.doe@example.com (+44 20 7946 0958)`);
  });
  try {
    await captureConsole(async () => {
      assert.equal((await fn.fetch(request("flaky", { body: { kind: "client" } }))).status, 400);
      assert.equal(
        (await fn.fetch(request("flaky", { body: { kind: "server" }, headers: { "x-request-id": "req-abcdef12" } })))
          .status,
        500,
      );
    });
    await fn.close();
    assert.equal(received.length, 1, "only the 5xx is reported");
    const [{ auth, path, body }] = received;
    assert.equal(path, "/api/7/envelope/");
    assert.ok(auth?.includes("sentry_key=pubkey42") && auth.includes("sentry_version=7"), auth ?? "");
    const [header, item, payload, ...rest] = body.split("\n");
    assert.equal(rest.length, 0);
    assert.equal(JSON.parse(header).dsn, env.SENTRY_DSN);
    assert.equal(JSON.parse(item).type, "event");
    assert.equal(JSON.parse(item).length, new TextEncoder().encode(payload).length);
    const event = JSON.parse(payload);
    assert.equal(event.environment, "staging");
    assert.deepEqual(event.tags, { function: "flaky", request_id: "req-abcdef12" });
    assert.equal(event.exception.values[0].type, "Error");
    assert.equal(event.exception.values[0].value, `provider refused ${REDACTED} for [email] ([phone])`);
    for (const leaked of [secret, "jane.doe", "7946"]) assert.ok(!body.includes(leaked), `${leaked} reached Sentry`);
    assert.equal(event.user, undefined, "no user, IP or headers");
  } finally {
    await sentry.close();
  }

  const quiet = createPublicFunction({ name: "quiet", env: {}, methods: ["POST"] }, () => {
    throw new Error("no DSN, nothing sent");
  });
  await captureConsole(() => quiet.fetch(request("quiet", { body: {} })));
  await quiet.close();
  assert.equal(received.length, 1);
});
