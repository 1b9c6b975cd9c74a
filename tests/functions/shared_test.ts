/** The shared module's pieces that the function tests do not reach on their own. */
import assert from "node:assert/strict";
import { estimateCostUsd } from "../../functions/_shared/ai/pricing.ts";
import { parseProviderName, readAiConfig } from "../../functions/_shared/ai/providers.ts";
import { readSse } from "../../functions/_shared/ai/sse.ts";
import { authenticate, requireSignedInUser } from "../../functions/_shared/auth.ts";
import { becomeServiceRole, createDatabase } from "../../functions/_shared/db.ts";
import { HttpError } from "../../functions/_shared/errors.ts";
import { createPublicFunction, createUserFunction } from "../../functions/_shared/function.ts";
import { redact, REDACTED, redactText, secretsFromEnv } from "../../functions/_shared/log.ts";
import { jsonResponse } from "../../functions/_shared/responses.ts";
import { parseBody, z } from "../../functions/_shared/validation.ts";
import { captureConsole } from "./support/console_capture.ts";
import { TEST_JWT_SECRET } from "./support/env.ts";
import { startFakeSupabase } from "./support/fake_supabase.ts";
import { mintToken, serviceRoleKey } from "./support/jwt.ts";
import { request, startWorld } from "./support/world.ts";

Deno.test("redact: secret-named fields, the env's secrets, and secrets recognised by shape", () => {
  const env = {
    OPENAI_API_KEY: "sk-proj-abcdefghijklmnop",
    SUPABASE_DB_URL: "postgresql://postgres:p4ss-w0rd@db.example.co:5432/postgres",
    SUPABASE_URL: "https://example.supabase.co",
    SMTP_PASS: "smtp-relay-pass",
  };
  const secrets = secretsFromEnv(env);
  assert.ok(secrets.includes("p4ss-w0rd"), "the password inside the database URL is a secret of its own");
  assert.ok(secrets.includes(env.SMTP_PASS), "SMTP_PASS is named like a secret too");
  assert.ok(!secrets.includes(env.SUPABASE_URL), "a URL without a password is not a secret");

  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  const line = redact({
    authorization: "Bearer abc",
    "x-api-key": "whatever",
    service_role_key: "k",
    input_tokens: 12,
    token_count: 7,
    note: `failed with ${env.OPENAI_API_KEY} and ${jwt}, key AIzaSyA1234567890abcdefghijklmn, again p4ss-w0rd`,
    url: "postgres://admin:hunter2@host/db",
    nested: [{ header: "Bearer eyJraWQ.x.y" }],
    error: new Error(`connect to ${env.SUPABASE_DB_URL} failed`),
  }, secrets) as Record<string, unknown>;

  assert.equal(line.authorization, REDACTED);
  assert.equal(line["x-api-key"], REDACTED);
  assert.equal(line.service_role_key, REDACTED);
  assert.equal(line.input_tokens, 12, "token counts are not secrets");
  assert.equal(line.token_count, 7);
  const text = JSON.stringify(line);
  for (const secret of [env.OPENAI_API_KEY, jwt, "AIzaSyA1234567890", "p4ss-w0rd", "hunter2", "eyJraWQ"]) {
    assert.ok(!text.includes(secret), `${secret} survived: ${text}`);
  }
  assert.equal(redactText("postgres://admin:hunter2@host/db", []), `postgres://admin:${REDACTED}@host/db`);
});

Deno.test("the frame: an unexpected error is a 500 without its text, logged redacted, with the request id", async () => {
  const env = { SECRET_TOKEN: "super-secret-value-123" };
  const fn = createPublicFunction({ name: "boom", env, methods: ["GET"] }, () => {
    throw new Error("it broke while holding super-secret-value-123");
  });
  const { result: response, output } = await captureConsole(() =>
    fn.fetch(request("boom", { headers: { "x-request-id": "req-12345678" } }))
  );
  const body = await response.json();
  assert.equal(response.status, 500);
  assert.deepEqual(body.error, {
    code: "internal_error",
    message: "Something went wrong on our side; quote the request_id to support",
    request_id: "req-12345678",
  });
  assert.equal(response.headers.get("x-request-id"), "req-12345678");
  assert.ok(output.text().includes("it broke while holding"), "the error is logged");
  assert.ok(!output.text().includes("super-secret-value-123"), "the secret reached the log");
  const errorLine = output.records().find((r) => r.level === "error");
  assert.equal(errorLine?.request_id, "req-12345678");
});

Deno.test("the frame: HttpError as JSON, security headers everywhere, a caller's odd request id replaced", async () => {
  const fn = createPublicFunction({ name: "teapot", env: {}, methods: ["GET"] }, () => {
    throw new HttpError(418, "teapot", "I am a teapot; ask for coffee elsewhere", { headers: { "X-Extra": "1" } });
  });
  const { result: response } = await captureConsole(() =>
    fn.fetch(request("teapot", { headers: { "x-request-id": "<script>" } }))
  );
  assert.equal(response.status, 418);
  assert.equal((await response.json()).error.code, "teapot");
  assert.equal(response.headers.get("x-extra"), "1");
  assert.notEqual(response.headers.get("x-request-id"), "<script>");
  for (const header of ["x-frame-options", "x-content-type-options", "x-xss-protection", "referrer-policy"]) {
    assert.ok(response.headers.get(header), `${header} is missing`);
  }
  assert.equal(response.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'");
});

Deno.test("CORS: a list of origins echoes only listed ones", async () => {
  const fn = createPublicFunction(
    {
      name: "cors",
      env: { CORS_ALLOWED_ORIGINS: "https://app.example.com, https://admin.example.com" },
      methods: ["GET"],
    },
    () => Promise.resolve(jsonResponse({ ok: true })),
  );
  const { result: [listed, unlisted] } = await captureConsole(() =>
    Promise.all([
      fn.fetch(request("cors", { method: "OPTIONS", headers: { origin: "https://admin.example.com" } })),
      fn.fetch(request("cors", { headers: { origin: "https://evil.example.net" } })),
    ])
  );
  assert.equal(listed.status, 204);
  assert.equal(listed.headers.get("access-control-allow-origin"), "https://admin.example.com");
  // execute-automation's retries carry an Idempotency-Key: a browser may only send it if the preflight allows it.
  assert.match(listed.headers.get("access-control-allow-headers") ?? "", /\bidempotency-key\b/);
  assert.equal(listed.headers.get("vary"), "Origin");
  assert.equal(unlisted.headers.get("access-control-allow-origin"), null);
  await unlisted.body?.cancel();
});

Deno.test("validation: a body over the size limit is 413", async () => {
  const req = new Request("http://localhost/x", { method: "POST", body: JSON.stringify({ a: "x".repeat(300_000) }) });
  await assert.rejects(() => parseBody(req, z.object({ a: z.string() })), (error: HttpError) => {
    assert.equal(error.status, 413);
    assert.equal(error.code, "body_too_large");
    return true;
  });
});

Deno.test("auth: the service-role key is not a user; a missing key setup is a 500 naming the variables", async () => {
  const asService = await authenticate(request("x", { token: await serviceRoleKey() }), {
    JWT_SECRET: TEST_JWT_SECRET,
  });
  assert.equal(asService.role, "service_role");
  assert.throws(() => requireSignedInUser(asService), (error: HttpError) => error.code === "sign_in_required");

  const project = await startFakeSupabase();
  const asymmetric = await project.mintAsymmetricToken(crypto.randomUUID());
  await project.close();
  await assert.rejects(
    () => authenticate(request("x", { token: asymmetric }), {}),
    (error: HttpError) => {
      assert.equal(error.status, 500);
      assert.equal(error.code, "server_misconfigured");
      assert.match(error.message, /none of JWT_SECRET, SUPABASE_JWKS or SUPABASE_URL is set/);
      return true;
    },
  );
  await assert.rejects(
    () => authenticate(request("x", { headers: { authorization: "Basic dXNlcg==" } }), { JWT_SECRET: TEST_JWT_SECRET }),
    (error: HttpError) => error.code === "invalid_authorization",
  );
});

Deno.test("auth: the key follows the token: HS256 with JWT_SECRET, ES256 with SUPABASE_JWKS or the JWKS URL", async () => {
  const project = await startFakeSupabase();
  try {
    const userId = crypto.randomUUID();
    const es256 = await project.mintAsymmetricToken(userId);
    const hs256 = await mintToken({ sub: userId });
    // Mid-rotation: both kinds of token are valid.
    const both = { JWT_SECRET: TEST_JWT_SECRET, SUPABASE_URL: project.url };
    assert.equal((await authenticate(request("x", { token: es256 }), both)).userId, userId);
    assert.equal((await authenticate(request("x", { token: hs256 }), both)).userId, userId);
    // The inline key set Supabase gives functions; no fetch needed (the URL points nowhere).
    const inline = { SUPABASE_JWKS: JSON.stringify(project.jwks), SUPABASE_URL: "http://127.0.0.1:1" };
    assert.equal((await authenticate(request("x", { token: es256 }), inline)).userId, userId);
    await assert.rejects(
      () => authenticate(request("x", { token: hs256 }), inline),
      (error: HttpError) => error.code === "invalid_token",
    );
    await assert.rejects(
      () => authenticate(request("x", { token: es256 }), { SUPABASE_JWKS: "not json" }),
      (error: HttpError) => error.status === 500 && /SUPABASE_JWKS is not valid JSON/.test(error.message),
    );
  } finally {
    await project.close();
  }
});

Deno.test("auth: signing keys that cannot be fetched are a 503, not a 401", async () => {
  const project = await startFakeSupabase();
  const token = await project.mintAsymmetricToken(crypto.randomUUID());
  await project.close(); // the project's JWKS endpoint is now unreachable
  await assert.rejects(
    () => authenticate(request("x", { token }), { SUPABASE_URL: project.url }),
    (error: HttpError) => {
      assert.equal(error.status, 503);
      assert.equal(error.code, "auth_keys_unavailable");
      return true;
    },
  );
});

Deno.test("user functions: a token with an unknown role never reaches the database", async () => {
  await using world = await startWorld();
  const fn = createUserFunction(
    { name: "who", env: world.env, methods: ["GET"] },
    (_req, ctx) => Promise.resolve(jsonResponse({ user: ctx.user.userId })),
  );
  const odd = await mintToken({ sub: crypto.randomUUID(), role: "postgres" });
  const { result: response } = await captureConsole(() => fn.fetch(request("who", { token: odd })));
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error.code, "sign_in_required");
});

Deno.test("the database runs work as the caller, so row-level security applies", async () => {
  await using world = await startWorld();
  const owner = await world.createUser();
  const stranger = await world.createUser();
  const conversation = await world.createConversation(owner.id);
  const db = createDatabase(world.env);
  try {
    const claims = (sub: string) => ({ userId: sub, role: "authenticated", claims: { sub, role: "authenticated" } });
    const seenByOwner = await db.asCaller(
      claims(owner.id),
      (tx) => tx`select id from public.conversations where id = ${conversation}`,
    );
    const seenByStranger = await db.asCaller(
      claims(stranger.id),
      (tx) => tx`select id from public.conversations where id = ${conversation}`,
    );
    assert.equal(seenByOwner.length, 1);
    assert.equal(seenByStranger.length, 0);
    await assert.rejects(() =>
      db.asCaller(
        claims(stranger.id),
        (tx) => tx`insert into public.usage_metrics (user_id, action) values (${stranger.id}, 'x')`,
      )
    );
  } finally {
    await db.close();
  }
});

Deno.test("db: an unknown role is refused; becomeServiceRole lets the backend write what users may not", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const db = createDatabase(world.env);
  try {
    assert.throws(
      () => db.asCaller({ userId: user.id, role: "postgres", claims: {} }, (tx) => tx`select 1`),
      (error: HttpError) => error.code === "role_not_allowed",
    );
    const caller = { userId: user.id, role: "authenticated", claims: { sub: user.id, role: "authenticated" } };
    const [{ uid, role }] = await db.asCaller(caller, (tx) => tx`select auth.uid() as uid, current_user as role`);
    assert.equal(uid, user.id);
    assert.equal(role, "authenticated");
    await db.asCaller(caller, async (tx) => {
      await becomeServiceRole(tx);
      await tx`insert into public.usage_metrics (user_id, action, metric_type) values (${user.id}, 'test', 'test')`;
    });
    const [row] = await world
      .sql`select count(*)::int as n from public.usage_metrics where user_id = ${user.id} and action = 'test'`;
    assert.equal(row.n, 1);
    // The identity does not outlive the transaction: the pooled connection is back to its login role.
    const [after] = await db.asServiceRole((tx) => tx`select auth.uid() as uid`);
    assert.equal(after.uid, null);
  } finally {
    await db.close();
  }
});

Deno.test("AI config: aliases, a bad fallback order or an http base URL are operator errors naming the variable", () => {
  assert.equal(parseProviderName("Anthropic"), "claude");
  assert.equal(parseProviderName("google"), "gemini");
  assert.equal(parseProviderName("mistral"), undefined);
  assert.deepEqual(readAiConfig({ AI_PROVIDER_FALLBACK_ORDER: "gemini,openai,gemini" }).order, ["gemini", "openai"]);
  assert.throws(
    () => readAiConfig({ AI_PROVIDER_FALLBACK_ORDER: "openai,mistral" }),
    /AI_PROVIDER_FALLBACK_ORDER.*mistral/,
  );
  assert.throws(
    () => readAiConfig({ OPENAI_BASE_URL: "http://api.example.com/v1" }),
    /OPENAI_BASE_URL must be an https/,
  );
  assert.throws(
    () => readAiConfig({ AI_PROVIDER_TIMEOUT_MS: "soon" }),
    /AI_PROVIDER_TIMEOUT_MS must be a whole number/,
  );
  assert.equal(readAiConfig({}).totalTimeoutMs, 60_000);
  assert.equal(readAiConfig({ AI_TOTAL_TIMEOUT_MS: "45000" }).totalTimeoutMs, 45_000);
  assert.throws(() => readAiConfig({ AI_TOTAL_TIMEOUT_MS: "10" }), /AI_TOTAL_TIMEOUT_MS must be a whole number/);
});

Deno.test("pricing: known families by prefix, unknown models and missing usage cost null", () => {
  assert.equal(estimateCostUsd("openai", "gpt-4o-mini-2024-07-18", { inputTokens: 1_000_000, outputTokens: 0 }), 0.15);
  assert.equal(estimateCostUsd("gemini", "gemini-2.5-flash-lite", { inputTokens: 0, outputTokens: 1_000_000 }), 0.4);
  assert.equal(estimateCostUsd("openai", "my-fine-tune", { inputTokens: 1, outputTokens: 1 }), null);
  assert.equal(estimateCostUsd("openai", "gpt-4o", { inputTokens: null, outputTokens: 5 }), null);
});

Deno.test("SSE parsing: CRLF line ends, comments, multi-line data and a last event without a blank line", async () => {
  const text = ': keep-alive\r\nevent: a\r\ndata: one\r\ndata: two\r\n\r\ndata: {"x":1}';
  const body = new Response(text).body!;
  const events = [];
  for await (const event of readSse(body, 1000, () => {})) events.push(event);
  assert.deepEqual(events, [{ event: "a", data: "one\ntwo" }, { event: "message", data: '{"x":1}' }]);
});
