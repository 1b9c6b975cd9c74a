/**
 * subscription-manager and Stripe's subscription statuses (issue 20, hole 3): sequences of events, each signed as
 * Stripe signs it (the SDK's generateTestHeaderStringAsync), and the tier after each. Where stripe-mock runs
 * (STRIPE_MOCK_URL), the objects are Stripe's own fixtures from it (its OpenAPI spec's examples) with our ids and
 * metadata laid over them, and a dispute's charge is retrieved from it through the SDK.
 */
import assert from "node:assert/strict";
import Stripe from "npm:stripe@23.1.0";
import { createHandler, NAME } from "../../functions/subscription-manager/handler.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

const WEBHOOK_SECRET = "whsec_test_statuses_0123456789ab";
const STRIPE_MOCK_URL = Deno.env.get("STRIPE_MOCK_URL");
const PRICES = { premium: "price_premium_monthly", business: "price_business_monthly" };
const cryptoProvider = Stripe.createSubtleCryptoProvider();

// Stripe objects are built and checked field by field; typing each shape would only restate them.
// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Setup extends AsyncDisposable {
  world: TestWorld;
  user: TestUser;
  send(type: string, object: Loose, created?: number): Promise<Loose>;
  tier(): Promise<string>;
}

async function setup(stripeApiUrl = STRIPE_MOCK_URL ?? "http://127.0.0.1:9"): Promise<Setup> {
  const world = await startWorld({
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_SECRET_KEY: "sk_test_statuses5e4d3c2b1a",
    STRIPE_API_URL: stripeApiUrl,
    STRIPE_PRICE_PREMIUM: PRICES.premium,
    STRIPE_PRICE_BUSINESS: PRICES.business,
    STRIPE_TIMEOUT_MS: "2000",
  });
  const handler = createHandler(world.env);
  const user = await world.createUser();
  return {
    world,
    user,
    async send(type, object, created = now()) {
      const payload = JSON.stringify({
        id: randomId("evt"),
        object: "event",
        api_version: "2025-03-31.basil",
        created,
        type,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: { object },
      });
      const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
        payload,
        secret: WEBHOOK_SECRET,
        cryptoProvider,
      });
      const response = await handler.fetch(
        new Request(`http://localhost/functions/v1/${NAME}`, {
          method: "POST",
          headers: { "content-type": "application/json", "stripe-signature": signature },
          body: payload,
        }),
      );
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      return body;
    },
    async tier() {
      // What the user's own GET answers (it refreshes a lapsed profile first).
      const response = await handler.fetch(request(NAME, { method: "GET", token: user.token }));
      return (await response.json()).tier;
    },
    async [Symbol.asyncDispose]() {
      await handler.close();
      await world.close();
    },
  };
}

const now = () => Math.floor(Date.now() / 1000);
const randomId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
const DAY = 86400;

/** Stripe's fixture of a resource from stripe-mock, or {} without it: our fields are laid over either. */
async function fixture(path: string): Promise<Loose> {
  if (!STRIPE_MOCK_URL) return {};
  const response = await fetch(`${STRIPE_MOCK_URL}/v1/${path}`, {
    headers: { authorization: "Bearer sk_test_statuses5e4d3c2b1a" },
  });
  assert.equal(response.status, 200, `stripe-mock GET /v1/${path}`);
  return await response.json();
}

async function subscriptionObject(
  user: string,
  id: string,
  status: string,
  price: string,
  periodEnd = now() + 30 * DAY,
): Promise<Loose> {
  const base = await fixture(`subscriptions/${id}`);
  const item = base.items?.data?.[0] ?? {};
  return {
    ...base,
    id,
    object: "subscription",
    status,
    customer: "cus_statuses_1",
    metadata: { user_id: user, tier: "premium" },
    items: {
      ...(base.items ?? {}),
      object: "list",
      data: [{
        ...item,
        current_period_start: periodEnd - 30 * DAY,
        current_period_end: periodEnd,
        price: { ...(item.price ?? {}), id: price },
      }],
    },
  };
}

async function invoiceObject(user: string, subscription: string, paid: boolean, billingReason: string) {
  const base = await fixture(`invoices/${randomId("in")}`);
  const start = now();
  return {
    ...base,
    id: randomId("in"),
    object: "invoice",
    billing_reason: billingReason,
    amount_paid: paid ? 999 : 0,
    amount_due: 999,
    currency: "usd",
    customer: "cus_statuses_1",
    parent: {
      type: "subscription_details",
      subscription_details: { subscription, metadata: { user_id: user, tier: "premium" } },
    },
    lines: { object: "list", data: [{ period: { start, end: start + 30 * DAY } }] },
    status_transitions: { paid_at: paid ? start : null },
  };
}

function checkout(user: string, subscription: string, paymentStatus: "paid" | "unpaid"): Loose {
  return {
    id: randomId("cs_test"),
    object: "checkout.session",
    mode: "subscription",
    payment_status: paymentStatus,
    status: "complete",
    client_reference_id: user,
    customer: "cus_statuses_1",
    subscription,
    metadata: { user_id: user, tier: "premium" },
  };
}

/** A paid subscription: checkout, then its first invoice paid. */
async function paidSubscription(s: Setup, t: number): Promise<{ id: string; invoice: Loose }> {
  const id = randomId("sub");
  await s.send("checkout.session.completed", checkout(s.user.id, id, "paid"), t);
  const invoice = await invoiceObject(s.user.id, id, true, "subscription_create");
  await s.send("invoice.payment_succeeded", invoice, t + 1);
  return { id, invoice };
}

Deno.test("a delayed debit that never pays grants nothing: incomplete, then incomplete_expired for good", async () => {
  await using s = await setup();
  const id = randomId("sub");
  const t = now() - 100;
  await s.send("checkout.session.completed", checkout(s.user.id, id, "unpaid"), t);
  assert.equal(await s.tier(), "free");
  const failed = await s.send(
    "invoice.payment_failed",
    await invoiceObject(s.user.id, id, false, "subscription_create"),
    t + 10,
  );
  assert.equal(failed.subscription_status, "incomplete");
  assert.equal(await s.tier(), "free");
  // Stripe sends past_due on a first invoice too when the subscription was created with it: still nothing paid.
  await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "past_due", PRICES.premium),
    t + 20,
  );
  assert.equal(await s.tier(), "free");
  const expired = await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "incomplete_expired", PRICES.premium),
    t + 30,
  );
  assert.equal(expired.subscription_status, "incomplete_expired");
  // Final: a later event saying active changes nothing.
  const late = await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "active", PRICES.premium),
    t + 40,
  );
  assert.equal(late.subscription_status, "incomplete_expired");
  assert.equal(await s.tier(), "free");
});

Deno.test("past_due keeps a tier only on a month already paid; unpaid and paused end it", async () => {
  await using s = await setup();
  const t = now() - 100;
  const { id } = await paidSubscription(s, t);
  assert.equal(await s.tier(), "premium");
  await s.send("invoice.payment_failed", await invoiceObject(s.user.id, id, false, "subscription_cycle"), t + 10);
  assert.equal(await s.tier(), "premium");
  await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "unpaid", PRICES.premium),
    t + 20,
  );
  assert.equal(await s.tier(), "free");
  await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "active", PRICES.premium),
    t + 30,
  );
  assert.equal(await s.tier(), "premium");
  await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "paused", PRICES.premium),
    t + 40,
  );
  assert.equal(await s.tier(), "free");
});

Deno.test("a trial's $0 invoice is no payment: past_due when the trial ends grants nothing", async () => {
  await using s = await setup();
  const id = randomId("sub");
  const t = now() - 100;
  await s.send("checkout.session.completed", checkout(s.user.id, id, "paid"), t);
  const trial = await invoiceObject(s.user.id, id, true, "subscription_create");
  await s.send("invoice.payment_succeeded", { ...trial, amount_paid: 0, amount_due: 0 }, t + 1);
  await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "trialing", PRICES.premium),
    t + 2,
  );
  assert.equal(await s.tier(), "premium");
  await s.send("invoice.payment_failed", await invoiceObject(s.user.id, id, false, "subscription_cycle"), t + 10);
  assert.equal(await s.tier(), "free");
});

Deno.test("plan changes in the customer portal move the tier by price; cancelling ends it with the deletion", async () => {
  await using s = await setup();
  const t = now() - 100;
  const { id } = await paidSubscription(s, t);
  await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "active", PRICES.business),
    t + 10,
  );
  assert.equal(await s.tier(), "business");
  await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "active", PRICES.premium),
    t + 20,
  );
  assert.equal(await s.tier(), "premium");
  // A period that Stripe reports over (and its grace with it) grants nothing, whatever the status says.
  await s.send(
    "customer.subscription.updated",
    await subscriptionObject(s.user.id, id, "active", PRICES.premium, now() - 4 * DAY),
    t + 30,
  );
  assert.equal(await s.tier(), "free");
  await s.send(
    "customer.subscription.deleted",
    await subscriptionObject(s.user.id, id, "canceled", PRICES.premium),
    t + 40,
  );
  assert.equal(await s.tier(), "free");
});

Deno.test("a full refund takes the tier back, a partial one does not; the next paid invoice restores it", async () => {
  await using s = await setup();
  const t = now() - 100;
  const { id, invoice } = await paidSubscription(s, t);
  const charge = { ...await fixture(`charges/${randomId("ch")}`), id: randomId("ch"), object: "charge" };
  const partial = await s.send("charge.refunded", { ...charge, customer: "cus_statuses_1", refunded: false }, t + 10);
  assert.equal(partial.outcome, "ignored");
  assert.equal(await s.tier(), "premium");
  // Before 2025-03-31 a charge names its invoice; from then on only its customer: both find the subscription.
  const full = await s.send(
    "charge.refunded",
    { ...charge, invoice: invoice.id, customer: null, refunded: true },
    t + 20,
  );
  assert.equal(full.outcome, "processed");
  assert.equal(await s.tier(), "free");
  const [payment] = await s.world.sql`select status from public.payments where provider_payment_id = ${invoice.id}`;
  assert.equal(payment.status, "refunded");
  await s.send("invoice.payment_succeeded", await invoiceObject(s.user.id, id, true, "subscription_cycle"), t + 30);
  assert.equal(await s.tier(), "premium");
});

Deno.test({
  name: "a dispute takes the tier back: its charge retrieved from stripe-mock through the SDK names the customer",
  ignore: STRIPE_MOCK_URL === undefined,
  async fn() {
    // stripe-mock's charge fixture belongs to no customer; its customer is laid over by a loopback proxy that
    // passes every request to stripe-mock (which checks it against Stripe's spec) and keeps its answer otherwise.
    const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const url = new URL(req.url);
      const answer = await fetch(`${STRIPE_MOCK_URL}${url.pathname}${url.search}`, {
        method: req.method,
        headers: req.headers,
        body: req.body,
      });
      const body = await answer.json();
      if (answer.ok && url.pathname.startsWith("/v1/charges/")) body.customer = "cus_statuses_1";
      return Response.json(body, { status: answer.status });
    });
    try {
      await using s = await setup(`http://127.0.0.1:${(proxy.addr as Deno.NetAddr).port}`);
      const t = now() - 100;
      await paidSubscription(s, t);
      const dispute = { ...await fixture(`disputes/${randomId("dp")}`), id: randomId("dp"), charge: randomId("ch") };
      const answer = await s.send("charge.dispute.created", dispute, t + 10);
      assert.equal(answer.outcome, "processed", JSON.stringify(answer));
      assert.equal(await s.tier(), "free");
    } finally {
      await proxy.shutdown();
    }
  },
});

Deno.test({
  name: "a dispute of a charge Stripe's fixture names no customer for changes no tier",
  ignore: STRIPE_MOCK_URL === undefined,
  async fn() {
    await using s = await setup();
    const t = now() - 100;
    await paidSubscription(s, t);
    const answer = await s.send(
      "charge.dispute.created",
      { ...await fixture("disputes/dp_1"), charge: "ch_1" },
      t + 10,
    );
    assert.equal(answer.outcome, "ignored");
    assert.equal(await s.tier(), "premium");
  },
});
