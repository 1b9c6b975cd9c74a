/**
 * Razorpay's Orders API on loopback (POST /v1/orders, Basic auth with key id and secret), from its public
 * request and answer shapes: {amount, currency, receipt, notes} -> {id: "order_...", entity: "order", amount,
 * currency, receipt, status: "created", notes, created_at}. `failWith` makes it answer an error status.
 */
import { json, startServer } from "./server.ts";

export const RAZORPAY_TEST_KEY_ID = "rzp_test_key_8f7e6d5c";
export const RAZORPAY_TEST_KEY_SECRET = "rzp-test-key-secret-4b3a2918";
export const RAZORPAY_TEST_WEBHOOK_SECRET = "rzp-test-webhook-secret-77c1d2";

export interface FakeRazorpay {
  url: string;
  // deno-lint-ignore no-explicit-any
  orders: Record<string, any>[];
  failWith?: number;
  env(): Record<string, string>;
  close(): Promise<void>;
}

export function startFakeRazorpay(): FakeRazorpay {
  const fake: FakeRazorpay = {
    url: "",
    orders: [],
    env: () => ({
      RAZORPAY_API_URL: fake.url,
      RAZORPAY_KEY_ID: RAZORPAY_TEST_KEY_ID,
      RAZORPAY_KEY_SECRET: RAZORPAY_TEST_KEY_SECRET,
      RAZORPAY_WEBHOOK_SECRET: RAZORPAY_TEST_WEBHOOK_SECRET,
      RAZORPAY_AMOUNT_PREMIUM: "49900",
    }),
    close: () => server.close(),
  };
  const server = startServer(async (req) => {
    const expected = `Basic ${btoa(`${RAZORPAY_TEST_KEY_ID}:${RAZORPAY_TEST_KEY_SECRET}`)}`;
    if (req.headers.get("authorization") !== expected) {
      return json({ error: { code: "BAD_REQUEST_ERROR", description: "Authentication failed" } }, 401);
    }
    if (new URL(req.url).pathname !== "/v1/orders" || req.method !== "POST") {
      return json({ error: { code: "BAD_REQUEST_ERROR", description: "The requested URL was not found" } }, 404);
    }
    if (fake.failWith) return json({ error: { code: "SERVER_ERROR", description: "unavailable" } }, fake.failWith);
    const body = await req.json();
    if (!Number.isInteger(body.amount) || body.amount < 100 || typeof body.currency !== "string") {
      return json({ error: { code: "BAD_REQUEST_ERROR", description: "amount or currency is invalid" } }, 400);
    }
    const order = {
      id: `order_${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`,
      entity: "order",
      amount: body.amount,
      amount_paid: 0,
      amount_due: body.amount,
      currency: body.currency,
      receipt: body.receipt ?? null,
      status: "created",
      notes: body.notes ?? [],
      created_at: Math.floor(Date.now() / 1000),
    };
    fake.orders.push(order);
    return json(order);
  });
  fake.url = server.url;
  return fake;
}
