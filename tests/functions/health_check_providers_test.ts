/**
 * health-check, guide 002's external services: each configured one checked by a free authenticated call
 * against a loopback stand-in of its API, within the deadline; a refused key or a hanging service degrades the
 * report (200), never fails it; unconfigured ones are "not_configured"; keys never appear in the answer; uptime
 * and memory are reported.
 */
import assert from "node:assert/strict";
import { createHandler, type HealthReport } from "../../functions/health-check/handler.ts";
import { captureConsole } from "./support/console_capture.ts";
import { json, startServer } from "./support/server.ts";
import { request, startWorld } from "./support/world.ts";

const KEYS = {
  STRIPE_SECRET_KEY: "sk_test_health_0123456789",
  RAZORPAY_KEY_ID: "rzp_test_health",
  RAZORPAY_KEY_SECRET: "rzp-secret-health-0123",
  GOOGLE_TRANSLATE_API_KEY: "AIzaHealthTranslateKey0123456789",
  SENDGRID_API_KEY: "SG.health-key-0123456789",
  RESEND_API_KEY: "re_health_0123456789",
  TWILIO_ACCOUNT_SID: "AC0123456789abcdef0123456789abcdef",
  TWILIO_AUTH_TOKEN: "twilio-health-token-0123",
};

/** Each service's read-only path and the credential it expects, as its public API documents them. */
function expected(path: string, auth: string | null): boolean {
  const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;
  const url = new URL(path, "http://x");
  switch (url.pathname) {
    case "/v1/balance":
      return auth === `Bearer ${KEYS.STRIPE_SECRET_KEY}`;
    case "/v1/payments":
      return auth === basic(KEYS.RAZORPAY_KEY_ID, KEYS.RAZORPAY_KEY_SECRET) && url.searchParams.get("count") === "1";
    case "/language/translate/v2/languages":
      return url.searchParams.get("key") === KEYS.GOOGLE_TRANSLATE_API_KEY;
    case "/v3/scopes":
      return auth === `Bearer ${KEYS.SENDGRID_API_KEY}`;
    case "/domains":
      return auth === `Bearer ${KEYS.RESEND_API_KEY}`;
    case `/2010-04-01/Accounts/${KEYS.TWILIO_ACCOUNT_SID}.json`:
      return auth === basic(KEYS.TWILIO_ACCOUNT_SID, KEYS.TWILIO_AUTH_TOKEN);
  }
  return false;
}

Deno.test("health-check: each configured service is checked; a refused or hanging one degrades, never fails", async () => {
  const seen: string[] = [];
  const services = startServer((req, server) => {
    const url = new URL(req.url);
    seen.push(url.pathname);
    if (url.pathname === "/domains") return server.hang(req).then(() => json({}));
    if (url.pathname.startsWith("/2010-04-01/")) return json({ message: "Authenticate" }, 401);
    return expected(url.pathname + url.search, req.headers.get("authorization")) ? json({}) : json({}, 403);
  });
  await using world = await startWorld({
    ...KEYS,
    HEALTH_CHECK_TIMEOUT_MS: "300",
    STRIPE_API_URL: services.url,
    RAZORPAY_API_URL: services.url,
    GOOGLE_TRANSLATE_BASE_URL: services.url,
    SENDGRID_BASE_URL: services.url,
    RESEND_BASE_URL: services.url,
    TWILIO_BASE_URL: services.url,
  });
  const handler = createHandler(world.env);
  try {
    const { result: response } = await captureConsole(() => handler.fetch(request("health-check")));
    const text = await response.text();
    const report = JSON.parse(text) as HealthReport;
    assert.equal(response.status, 200, "optional services never fail the check");
    assert.equal(report.status, "degraded");
    const statuses = Object.fromEntries(
      Object.entries(report.checks.providers).map(([name, check]) => [name, check.error ?? check.status]),
    );
    assert.deepEqual(statuses, {
      stripe: "ok",
      razorpay: "ok",
      google_translation: "ok",
      sendgrid: "ok",
      resend: "timed out after 300 ms",
      twilio: "HTTP 401",
    });
    assert.ok(report.duration_ms < 2000, `the deadline holds (${report.duration_ms} ms)`);
    assert.equal(seen.length, 6, "one call per service");
    for (const key of Object.values(KEYS)) assert.ok(!text.includes(key), `${key} is in the answer`);
    assert.ok(report.uptime_seconds >= 0 && report.memory_mb.rss > 1 && report.memory_mb.heap_used > 0);
  } finally {
    await handler.close();
    await services.close();
  }
});

Deno.test("health-check: services without their keys are not configured and leave the report healthy", async () => {
  await using world = await startWorld({ RAZORPAY_KEY_ID: "rzp_only_the_id" });
  const handler = createHandler(world.env);
  try {
    const report = await (await handler.fetch(request("health-check"))).json() as HealthReport;
    assert.equal(report.status, "healthy");
    assert.ok(Object.values(report.checks.providers).every((check) => check.status === "not_configured"));
  } finally {
    await handler.close();
  }
});
