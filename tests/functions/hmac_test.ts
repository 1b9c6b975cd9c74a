/** The webhook signature (functions/_shared/hmac.ts): what a receiver recomputes, and what it must refuse. */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { signWebhook, verifyWebhookSignature } from "../../functions/_shared/hmac.ts";

const SECRET = "whsec-unit-test-secret";
const BODY = '{"job_id":"j1","input":{"a":1}}';
const NOW = 1_767_225_600;

async function signed(body = BODY, at = NOW): Promise<Headers> {
  return new Headers(await signWebhook(SECRET, body, "delivery-1", at));
}

Deno.test("the signature is HMAC-SHA256 of '<timestamp>.<body>', hex, in the documented headers", async () => {
  const headers = await signed();
  const expected = createHmac("sha256", SECRET).update(`${NOW}.${BODY}`).digest("hex");
  assert.equal(headers.get("x-webhook-timestamp"), String(NOW));
  assert.equal(headers.get("x-webhook-signature"), `v1=${expected}`);
  assert.equal(headers.get("x-webhook-id"), "delivery-1");
});

Deno.test("the receiver's check accepts a fresh, untouched request", async () => {
  assert.deepEqual(await verifyWebhookSignature(SECRET, BODY, await signed(), { nowSeconds: NOW + 10 }), { ok: true });
});

Deno.test("the receiver's check refuses a changed body, another secret, a stale or future timestamp", async () => {
  const headers = await signed();
  const refusals = [
    await verifyWebhookSignature(SECRET, BODY.replace("1", "2"), headers, { nowSeconds: NOW }),
    await verifyWebhookSignature("another-secret", BODY, headers, { nowSeconds: NOW }),
    await verifyWebhookSignature(SECRET, BODY, headers, { nowSeconds: NOW + 301 }),
    await verifyWebhookSignature(SECRET, BODY, headers, { nowSeconds: NOW - 301 }),
  ];
  assert.deepEqual(refusals.map((r) => r.ok), [false, false, false, false]);
  assert.match(!refusals[2].ok ? refusals[2].reason : "", /more than 300 s/);
});

Deno.test("a timestamp moved forward (to replay later) breaks the signature", async () => {
  const headers = await signed();
  headers.set("x-webhook-timestamp", String(NOW + 3600));
  const result = await verifyWebhookSignature(SECRET, BODY, headers, { nowSeconds: NOW + 3600 });
  assert.deepEqual(result, { ok: false, reason: "signature does not match the body" });
});

Deno.test("malformed or missing headers are refused, not thrown", async () => {
  const missing = await verifyWebhookSignature(SECRET, BODY, new Headers(), { nowSeconds: NOW });
  assert.equal(missing.ok, false);
  const headers = await signed();
  headers.set("x-webhook-signature", "v1=not-hex");
  assert.equal((await verifyWebhookSignature(SECRET, BODY, headers, { nowSeconds: NOW })).ok, false);
});
