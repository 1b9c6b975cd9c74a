/**
 * subscription-manager against the migrated database: Stripe's and Razorpay's webhooks signed as the providers
 * sign them (Stripe's with its own SDK's test helper), the checkouts (Stripe's against stripe-mock, Stripe's
 * official mock server, when STRIPE_MOCK_URL is set; Razorpay's against a loopback stand-in of its Orders API),
 * and what the user gets: tier, hourly rate limit and storage limit following the subscription.
 */
import assert from "node:assert/strict";
import Stripe from "npm:stripe@23.1.0";
import { createHandler, NAME } from "../../functions/subscription-manager/handler.ts";
import { razorpaySignature } from "../../functions/subscription-manager/razorpay_webhook.ts";
import { checkRateLimit } from "../../functions/_shared/rate_limit.ts";
import { captureConsole } from "./support/console_capture.ts";
import { ALL_TEST_SECRETS } from "./support/env.ts";
import {
  type FakeRazorpay,
  RAZORPAY_TEST_KEY_SECRET,
  RAZORPAY_TEST_WEBHOOK_SECRET,
  startFakeRazorpay,
} from "./support/fake_razorpay.ts";
import { anonKey } from "./support/jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

const STRIPE_TEST_WEBHOOK_SECRET = "whsec_test_0123456789abcdefghij";
const STRIPE_TEST_SECRET_KEY = "sk_test_subscriptions5e4d3c2b1a";
const STRIPE_MOCK_URL = Deno.env.get("STRIPE_MOCK_URL");
const GIB = 1024 ** 3;
const cryptoProvider = Stripe.createSubtleCryptoProvider();

// JSON answers and rows are checked field by field; typing each shape would only restate the assertions.
// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Answer {
  status: number;
  body: Loose;
}

interface Setup extends AsyncDisposable {
  world: TestWorld;
  razorpay: FakeRazorpay;
  user: TestUser;
  handler: ReturnType<typeof createHandler>;
  stripe(event: Loose, options?: { secret?: string; timestamp?: number; signature?: string }): Promise<Answer>;
  razorpayHook(event: Loose, options?: { eventId?: string; secret?: string }): Promise<Answer>;
  call(options: { method?: string; body?: unknown; token?: string }): Promise<Answer>;
  limits(userId?: string): Promise<{ tier: string; hourly: number; storage: number }>;
}

async function setup(env: Record<string, string | undefined> = {}): Promise<Setup> {
  const razorpay = startFakeRazorpay();
  const world = await startWorld({
    STRIPE_WEBHOOK_SECRET: STRIPE_TEST_WEBHOOK_SECRET,
    STRIPE_SECRET_KEY: STRIPE_TEST_SECRET_KEY,
    STRIPE_API_URL: STRIPE_MOCK_URL ?? "http://127.0.0.1:9",
    STRIPE_PRICE_PREMIUM: "price_premium_monthly",
    STRIPE_TIMEOUT_MS: "2000",
    FRONTEND_URL: "http://localhost:5173",
    ...razorpay.env(),
    ...env,
  });
  const handler = createHandler(world.env);
  const user = await world.createUser();
  const answer = async (response: Response): Promise<Answer> => ({
    status: response.status,
    body: await response.json(),
  });
  const post = (headers: Record<string, string>, body: string) =>
    handler.fetch(
      new Request(`http://localhost/functions/v1/${NAME}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      }),
    );
  return {
    world,
    razorpay,
    user,
    handler,
    async stripe(event, options = {}) {
      const payload = JSON.stringify(event);
      const signature = options.signature ?? await Stripe.webhooks.generateTestHeaderStringAsync({
        payload,
        secret: options.secret ?? STRIPE_TEST_WEBHOOK_SECRET,
        timestamp: options.timestamp,
        cryptoProvider,
      });
      return await answer(await post({ "stripe-signature": signature }, payload));
    },
    async razorpayHook(event, options = {}) {
      const payload = JSON.stringify(event);
      const headers: Record<string, string> = {
        "x-razorpay-signature": await razorpaySignature(options.secret ?? RAZORPAY_TEST_WEBHOOK_SECRET, payload),
      };
      if (options.eventId) headers["x-razorpay-event-id"] = options.eventId;
      return await answer(await post(headers, payload));
    },
    async call(options) {
      return await answer(await handler.fetch(request(NAME, { token: user.token, ...options })));
    },
    async limits(userId = user.id) {
      const [row] = await world.sql`select subscription_tier, storage_limit from public.profiles where id = ${userId}`;
      // The hourly limit as the functions' shared rate limiter sees it (a request of another action).
      const status = await world.sql.begin((tx) => checkRateLimit(tx, userId, "ai-chat-message"));
      return { tier: row.subscription_tier, hourly: status.limit, storage: Number(row.storage_limit) };
    },
    async [Symbol.asyncDispose]() {
      await handler.close();
      await Promise.all([world.close(), razorpay.close()]);
    },
  };
}

const now = () => Math.floor(Date.now() / 1000);
const randomId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;

function stripeEvent(type: string, object: Loose, created = now()): Loose {
  return {
    id: randomId("evt"),
    object: "event",
    api_version: "2025-03-31.basil",
    created,
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

function checkoutSession(userId: string, subscription: string, tier = "premium"): Loose {
  return {
    id: randomId("cs_test"),
    object: "checkout.session",
    mode: "subscription",
    payment_status: "paid",
    status: "complete",
    client_reference_id: userId,
    customer: "cus_test_1",
    subscription,
    metadata: { user_id: userId, tier },
  };
}

function invoice(userId: string, subscription: string, paid = true): Loose {
  const start = now();
  return {
    id: randomId("in"),
    object: "invoice",
    number: "INV-0001",
    amount_paid: paid ? 999 : 0,
    amount_due: 999,
    currency: "usd",
    customer: "cus_test_1",
    parent: {
      type: "subscription_details",
      subscription_details: { subscription, metadata: { user_id: userId, tier: "premium" } },
    },
    lines: { data: [{ period: { start, end: start + 30 * 86400 } }] },
    status_transitions: { paid_at: paid ? start : null },
  };
}

function deletedSubscription(userId: string, id: string): Loose {
  return {
    id,
    object: "subscription",
    status: "canceled",
    customer: "cus_test_1",
    metadata: { user_id: userId, tier: "premium" },
  };
}

async function eventRows(world: TestWorld, eventId: string): Promise<Loose[]> {
  return [...await world.sql`select status, attempts, error from public.webhook_events where event_id = ${eventId}`];
}

function assertNoSecrets(text: string): void {
  const secrets = [
    ...ALL_TEST_SECRETS,
    STRIPE_TEST_WEBHOOK_SECRET,
    STRIPE_TEST_SECRET_KEY,
    RAZORPAY_TEST_KEY_SECRET,
    RAZORPAY_TEST_WEBHOOK_SECRET,
  ];
  for (const secret of secrets) assert.ok(!text.includes(secret), `a secret leaked: ${secret.slice(0, 6)}...`);
}

// ---------------------------------------------------------------- end to end

Deno.test("a completed checkout makes the user premium (500/h, 50 GiB); a deleted subscription brings free back", async () => {
  await using s = await setup();
  assert.deepEqual(await s.limits(), { tier: "free", hourly: 100, storage: 1 * GIB });
  const subscription = randomId("sub");

  const { result: completed, output } = await captureConsole(() =>
    s.stripe(stripeEvent("checkout.session.completed", checkoutSession(s.user.id, subscription)))
  );
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  assert.deepEqual([completed.body.outcome, completed.body.subscription_status], ["processed", "active"]);
  assert.deepEqual(await s.limits(), { tier: "premium", hourly: 500, storage: 50 * GIB });
  assertNoSecrets(output.text());

  const paid = await s.stripe(stripeEvent("invoice.payment_succeeded", invoice(s.user.id, subscription)));
  assert.equal(paid.body.outcome, "processed");
  const [payment] = await s.world.sql`
    select p.status, p.amount_cents, p.currency, s.provider_subscription_id
    from public.payments p join public.subscriptions s on s.id = p.subscription_id where p.user_id = ${s.user.id}`;
  assert.deepEqual({ ...payment }, {
    status: "succeeded",
    amount_cents: "999",
    currency: "USD",
    provider_subscription_id: subscription,
  });

  const status = await s.call({ method: "GET" });
  assert.equal(status.body.tier, "premium");
  assert.equal(status.body.hourly_request_limit, 500);

  const deleted = await s.stripe(
    stripeEvent("customer.subscription.deleted", deletedSubscription(s.user.id, subscription)),
  );
  assert.equal(deleted.body.subscription_status, "canceled");
  assert.deepEqual(await s.limits(), { tier: "free", hourly: 100, storage: 1 * GIB });
});

// ---------------------------------------------------------------- Stripe webhook cases

Deno.test("a bad Stripe signature is refused with 400 and records nothing", async () => {
  await using s = await setup();
  const event = stripeEvent("checkout.session.completed", checkoutSession(s.user.id, randomId("sub")));
  const forged = await s.stripe(event, { secret: "whsec_someone_elses_secret_000000" });
  assert.equal(forged.status, 400);
  assert.equal(forged.body.error.code, "invalid_signature");
  const garbage = await s.stripe(event, { signature: "t=1,v1=nothex" });
  assert.equal(garbage.body.error.code, "invalid_signature");
  assert.deepEqual(await eventRows(s.world, event.id), []);
  assert.equal((await s.limits()).tier, "free");
});

Deno.test("a Stripe signature older than the tolerance is refused as expired", async () => {
  await using s = await setup();
  const event = stripeEvent("checkout.session.completed", checkoutSession(s.user.id, randomId("sub")));
  const stale = await s.stripe(event, { timestamp: now() - 301 });
  assert.equal(stale.status, 400);
  assert.equal(stale.body.error.code, "signature_expired");
  assert.deepEqual(await eventRows(s.world, event.id), []);
  // The same event, freshly signed (Stripe's retry), goes through.
  assert.equal((await s.stripe(event)).body.outcome, "processed");
});

Deno.test("a replayed Stripe event is acknowledged and changes nothing", async () => {
  await using s = await setup();
  const subscription = randomId("sub");
  await s.stripe(stripeEvent("checkout.session.completed", checkoutSession(s.user.id, subscription)));
  const paid = stripeEvent("invoice.payment_succeeded", invoice(s.user.id, subscription));
  assert.equal((await s.stripe(paid)).body.outcome, "processed");
  // Support cancels by hand meanwhile; a replay of the old payment must not bring the subscription back.
  await s.world
    .sql`update public.subscriptions set status = 'canceled' where provider_subscription_id = ${subscription}`;
  const replay = await s.stripe(paid);
  assert.equal(replay.status, 200);
  assert.equal(replay.body.outcome, "duplicate");
  const [{ n }] = await s.world.sql`select count(*)::int as n from public.payments where user_id = ${s.user.id}`;
  assert.equal(n, 1);
  assert.deepEqual((await eventRows(s.world, paid.id)).map((r) => [r.status, r.attempts]), [["processed", 1]]);
  assert.equal((await s.limits()).tier, "free");
});

Deno.test("out of order: a deletion that arrives before an older payment leaves the user free", async () => {
  await using s = await setup();
  const subscription = randomId("sub");
  const t = now();
  await s.stripe(stripeEvent("checkout.session.completed", checkoutSession(s.user.id, subscription), t - 100));
  await s.stripe(stripeEvent("customer.subscription.deleted", deletedSubscription(s.user.id, subscription), t));
  const late = await s.stripe(stripeEvent("invoice.payment_succeeded", invoice(s.user.id, subscription), t - 50));
  assert.equal(late.body.subscription_status, "canceled");
  assert.equal((await s.limits()).tier, "free");
  // The payment itself is still recorded: it happened.
  const [{ n }] = await s.world.sql`select count(*)::int as n from public.payments where user_id = ${s.user.id}`;
  assert.equal(n, 1);
});

Deno.test("out of order: an invoice before its checkout event makes the user premium from the invoice's metadata", async () => {
  await using s = await setup();
  const subscription = randomId("sub");
  const t = now();
  const first = await s.stripe(stripeEvent("invoice.payment_succeeded", invoice(s.user.id, subscription), t));
  assert.equal(first.body.subscription_status, "active");
  assert.equal((await s.limits()).tier, "premium");
  // The older checkout event arrives next: it adds nothing and takes nothing away.
  const older = await s.stripe(
    stripeEvent("checkout.session.completed", checkoutSession(s.user.id, subscription), t - 5),
  );
  assert.equal(older.body.subscription_status, "active");
  const [row] = await s.world.sql`
    select status, current_period_end is not null as has_period from public.subscriptions
    where provider_subscription_id = ${subscription}`;
  assert.deepEqual({ ...row }, { status: "active", has_period: true });
});

Deno.test("a failed renewal keeps the tier as past_due; the retried payment makes it active again", async () => {
  await using s = await setup();
  const subscription = randomId("sub");
  const t = now();
  await s.stripe(stripeEvent("checkout.session.completed", checkoutSession(s.user.id, subscription), t - 10));
  await s.stripe(stripeEvent("invoice.payment_succeeded", invoice(s.user.id, subscription), t - 9));
  const bill = invoice(s.user.id, subscription, false);
  const failed = await s.stripe(stripeEvent("invoice.payment_failed", bill, t - 5));
  assert.equal(failed.body.subscription_status, "past_due");
  assert.equal((await s.limits()).tier, "premium");
  const retried = await s.stripe(stripeEvent("invoice.payment_succeeded", { ...bill, amount_paid: 999 }, t));
  assert.equal(retried.body.subscription_status, "active");
  const [payment] = await s.world.sql`select status from public.payments where provider_payment_id = ${bill.id}`;
  assert.equal(payment.status, "succeeded");
});

Deno.test("unknown Stripe event types and checkouts that are not ours are acknowledged and recorded", async () => {
  await using s = await setup();
  const unknown = stripeEvent("customer.created", { id: "cus_new", object: "customer" });
  const answer = await s.stripe(unknown);
  assert.equal(answer.status, 200);
  assert.equal(answer.body.outcome, "ignored");
  const [row] = await eventRows(s.world, unknown.id);
  assert.equal(row.status, "processed");
  assert.match(row.error, /not handled/);
  const payment = stripeEvent("checkout.session.completed", { ...checkoutSession(s.user.id, "x"), mode: "payment" });
  assert.equal((await s.stripe(payment)).body.outcome, "ignored");
  const foreign = stripeEvent("checkout.session.completed", {
    ...checkoutSession(s.user.id, randomId("sub")),
    metadata: {},
    client_reference_id: null,
  });
  assert.equal((await s.stripe(foreign)).body.outcome, "ignored");
  assert.equal((await s.limits()).tier, "free");
});

Deno.test("an event that fails to apply is answered 500, marked failed, and applied once on the retry", async () => {
  await using s = await setup();
  // A user the database does not know yet (the subscription's foreign key refuses it).
  const ghost = crypto.randomUUID();
  const event = stripeEvent("checkout.session.completed", checkoutSession(ghost, randomId("sub")));
  const { result: first } = await captureConsole(() => s.stripe(event));
  assert.equal(first.status, 500);
  assert.deepEqual((await eventRows(s.world, event.id)).map((r) => r.status), ["failed"]);
  await s.world.sql`insert into auth.users (id, email) values (${ghost}, ${`${ghost.slice(0, 8)}@example.test`})`;
  const retry = await s.stripe(event);
  assert.equal(retry.body.outcome, "processed");
  assert.deepEqual((await eventRows(s.world, event.id)).map((r) => [r.status, r.attempts]), [["processed", 2]]);
  assert.equal((await s.limits(ghost)).tier, "premium");
  assert.equal((await s.stripe(event)).body.outcome, "duplicate");
});

Deno.test("a webhook body over the size cap is refused before it is read", async () => {
  await using s = await setup();
  const response = await s.handler.fetch(
    new Request(`http://localhost/functions/v1/${NAME}`, {
      method: "POST",
      headers: { "stripe-signature": "t=1,v1=00", "content-length": String(10 * 1024 * 1024) },
      body: "{}",
    }),
  );
  assert.equal(response.status, 413);
  await response.body?.cancel();
});

// ---------------------------------------------------------------- Razorpay

function razorpayPayment(type: string, orderId: string, created = now()): Loose {
  return {
    entity: "event",
    account_id: "acc_test",
    event: type,
    contains: ["payment"],
    created_at: created,
    payload: {
      payment: {
        entity: {
          id: randomId("pay"),
          entity: "payment",
          amount: 49900,
          currency: "INR",
          status: type === "payment.captured" ? "captured" : "failed",
          order_id: orderId,
          customer_id: "cust_test_1",
          description: "Premium, one month",
          created_at: created,
        },
      },
    },
  };
}

Deno.test("Razorpay: an order checkout, then its captured payment, makes the user premium", async () => {
  await using s = await setup();
  const started = await s.call({ body: { provider: "razorpay", tier: "premium" } });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  assert.match(started.body.order_id, /^order_/);
  assert.deepEqual(s.razorpay.orders[0].notes, { user_id: s.user.id, tier: "premium" });
  assert.equal((await s.limits()).tier, "free");

  const captured = razorpayPayment("payment.captured", started.body.order_id);
  const answer = await s.razorpayHook(captured, { eventId: randomId("evt") });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.subscription_status, "active");
  assert.deepEqual(await s.limits(), { tier: "premium", hourly: 500, storage: 50 * GIB });
});

Deno.test("Razorpay: bad signature refused; a replay (same event id, or same body) is a duplicate", async () => {
  await using s = await setup();
  const started = await s.call({ body: { provider: "razorpay", tier: "premium" } });
  const failed = razorpayPayment("payment.failed", started.body.order_id);
  assert.equal(
    (await s.razorpayHook(failed, { secret: "not-the-webhook-secret" })).body.error.code,
    "invalid_signature",
  );
  const eventId = randomId("evt");
  assert.equal((await s.razorpayHook(failed, { eventId })).body.outcome, "processed");
  assert.equal((await s.razorpayHook(failed, { eventId })).body.outcome, "duplicate");
  // Without the event id header, the body's digest is the id: the same body again is the same event.
  const captured = razorpayPayment("payment.captured", started.body.order_id);
  assert.equal((await s.razorpayHook(captured)).body.outcome, "processed");
  assert.equal((await s.razorpayHook(captured)).body.outcome, "duplicate");
  const rows = await s.world.sql`select status from public.payments where user_id = ${s.user.id} order by status`;
  assert.deepEqual(rows.map((r) => r.status), ["failed", "succeeded"]);
});

Deno.test("Razorpay: a captured body replayed under another event id adds no payment and revives nothing", async () => {
  await using s = await setup();
  const started = await s.call({ body: { provider: "razorpay", tier: "premium" } });
  const captured = razorpayPayment("payment.captured", started.body.order_id, now() - 60);
  assert.equal((await s.razorpayHook(captured, { eventId: randomId("evt") })).body.subscription_status, "active");
  // Support ends it; the id header is not signed, so a copied body can come back under a fresh id.
  await s.world.sql`
    update public.subscriptions set status = 'canceled', last_event_at = now()
    where provider_subscription_id = ${started.body.order_id}`;
  const replay = await s.razorpayHook(captured, { eventId: randomId("evt") });
  assert.equal(replay.body.subscription_status, "canceled");
  const [{ n }] = await s.world.sql`select count(*)::int as n from public.payments where user_id = ${s.user.id}`;
  assert.equal(n, 1);
  assert.equal((await s.limits()).tier, "free");
});

Deno.test("Razorpay: a captured payment of an order that is not ours grants nothing; cancellations apply", async () => {
  await using s = await setup();
  const stray = await s.razorpayHook(razorpayPayment("payment.captured", "order_notours12345"), {
    eventId: randomId("e"),
  });
  assert.equal(stray.body.outcome, "ignored");
  const subscription = randomId("sub");
  const cancelled = {
    entity: "event",
    event: "subscription.cancelled",
    contains: ["subscription"],
    created_at: now(),
    payload: {
      subscription: {
        entity: { id: subscription, status: "cancelled", notes: { user_id: s.user.id, tier: "premium" } },
      },
    },
  };
  const answer = await s.razorpayHook(cancelled, { eventId: randomId("e") });
  assert.equal(answer.body.subscription_status, "canceled");
  assert.equal((await s.limits()).tier, "free");
  assert.equal(
    (await s.razorpayHook({ ...cancelled, event: "refund.created" }, { eventId: randomId("e") })).body.outcome,
    "ignored",
  );
});

Deno.test("Razorpay: a paid month ends with its period and grace; the next, bought in its last week, extends it", async () => {
  await using s = await setup();
  const first = await s.call({ body: { provider: "razorpay", tier: "premium" } });
  await s.razorpayHook(razorpayPayment("payment.captured", first.body.order_id), { eventId: randomId("evt") });
  assert.equal((await s.call({ method: "GET" })).body.tier, "premium");
  // Three weeks before the month ends, a second month is refused.
  const early = await s.call({ body: { provider: "razorpay", tier: "premium" } });
  assert.equal(early.body.error.code, "already_subscribed");
  // Three days before, it is sold, and starts where the running month ends.
  const [{ ends }] = await s.world.sql`
    update public.subscriptions set current_period_end = now() + interval '3 days',
                                    paid_until = now() + interval '3 days'
    where provider_subscription_id = ${first.body.order_id} returning current_period_end as ends`;
  const second = await s.call({ body: { provider: "razorpay", tier: "premium" } });
  assert.equal(second.status, 201, JSON.stringify(second.body));
  await s.razorpayHook(razorpayPayment("payment.captured", second.body.order_id), { eventId: randomId("evt") });
  const [renewal] = await s.world.sql`
    select current_period_start from public.subscriptions where provider_subscription_id = ${second.body.order_id}`;
  assert.equal(renewal.current_period_start.getTime(), ends.getTime());
  // Both months over, and the grace period with them (the stored periods moved back stand in for time passing).
  await s.world.sql`
    update public.subscriptions set current_period_end = now() - interval '4 days', paid_until = now() - interval '4 days'
    where user_id = ${s.user.id}`;
  const status = await s.call({ method: "GET" });
  assert.deepEqual([status.body.tier, status.body.hourly_request_limit], ["free", 100]);
  assert.deepEqual(await s.limits(), { tier: "free", hourly: 100, storage: 1 * GIB });
});

function razorpaySubscriptionEvent(type: string, userId: string, id: string, cycleEnd: number, created = now()) {
  return {
    entity: "event",
    event: type,
    contains: type === "subscription.charged" ? ["subscription", "payment"] : ["subscription"],
    created_at: created,
    payload: {
      subscription: {
        entity: {
          id,
          entity: "subscription",
          status: { "subscription.charged": "active", "subscription.pending": "pending" }[type] ?? "halted",
          current_start: cycleEnd - 30 * 86400,
          current_end: cycleEnd,
          customer_id: "cust_test_1",
          notes: { user_id: userId, tier: "premium" },
        },
      },
      payment: {
        entity: { id: randomId("pay"), entity: "payment", amount: 49900, currency: "INR", status: "captured" },
      },
    },
  };
}

Deno.test("Razorpay subscriptions: each charged cycle extends the tier, a halted one ends it", async () => {
  await using s = await setup();
  const id = randomId("sub");
  const t = now();
  const hook = (type: string, cycleEnd: number, created: number) =>
    s.razorpayHook(razorpaySubscriptionEvent(type, s.user.id, id, cycleEnd, created), { eventId: randomId("evt") });
  // A cycle charged 40 days ago, never renewed: over, with its grace.
  await hook("subscription.charged", t - 10 * 86400, t - 40 * 86400);
  assert.equal((await s.limits()).tier, "free");
  // The renewal's charge extends it; a failing next charge (pending) keeps it only on the paid cycle.
  await hook("subscription.charged", t + 20 * 86400, t - 10 * 86400);
  assert.equal((await s.limits()).tier, "premium");
  await hook("subscription.pending", t + 20 * 86400, t - 5);
  assert.equal((await s.limits()).tier, "premium");
  await hook("subscription.halted", t + 20 * 86400, t);
  assert.equal((await s.limits()).tier, "free");
  const [{ n }] = await s.world.sql`
    select count(*)::int as n from public.payments where user_id = ${s.user.id} and status = 'succeeded'`;
  assert.equal(n, 2);
});

// ---------------------------------------------------------------- checkout

Deno.test("checkout refuses the anon key, bad input, a second live subscription, and a failing provider", async () => {
  await using s = await setup();
  const anon = await s.call({ body: { provider: "stripe", tier: "premium" }, token: await anonKey() });
  assert.equal(anon.status, 401);
  const noToken = await s.handler.fetch(request(NAME, { body: { provider: "stripe", tier: "premium" } }));
  assert.equal(noToken.status, 401);
  await noToken.body?.cancel();
  const bad = await s.call({ body: { provider: "paypal", tier: "free", extra: 1 } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.details.fields.map((f: Loose) => f.field).sort(), ["body", "provider", "tier"]);

  s.razorpay.failWith = 503;
  const { result: down, output } = await captureConsole(() =>
    s.call({ body: { provider: "razorpay", tier: "premium" } })
  );
  assert.equal(down.status, 502);
  assert.equal(down.body.error.code, "payment_provider_error");
  assertNoSecrets(JSON.stringify(down.body) + output.text());
  const [{ n }] = await s.world.sql`select count(*)::int as n from public.subscriptions where user_id = ${s.user.id}`;
  assert.equal(n, 0, "a failed order leaves no subscription row");

  await s.stripe(stripeEvent("checkout.session.completed", checkoutSession(s.user.id, randomId("sub"))));
  const again = await s.call({ body: { provider: "stripe", tier: "premium" } });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, "already_subscribed");
});

Deno.test("checkout names a missing price setting; the GET shows only the caller's subscriptions", async () => {
  await using s = await setup({ STRIPE_PRICE_PREMIUM: undefined });
  const missing = await s.call({ body: { provider: "stripe", tier: "premium" } });
  assert.equal(missing.status, 500);
  assert.match(missing.body.error.message, /STRIPE_PRICE_PREMIUM/);
  const other = await s.world.createUser();
  await s.stripe(stripeEvent("checkout.session.completed", checkoutSession(other.id, randomId("sub"), "business")));
  const mine = await s.call({ method: "GET" });
  assert.equal(mine.body.tier, "free");
  assert.deepEqual(mine.body.subscriptions, []);
});

Deno.test({
  name: "Stripe checkout against stripe-mock: a subscription session whose parameters Stripe's spec accepts",
  ignore: STRIPE_MOCK_URL === undefined,
  async fn() {
    await using s = await setup();
    const started = await s.call({ body: { provider: "stripe", tier: "premium" } });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.match(started.body.session_id, /^cs_/);
    assert.equal(started.body.provider, "stripe");
  },
});

Deno.test("Stripe checkout with Stripe unreachable answers 502 without leaking the key", async () => {
  await using s = await setup({ STRIPE_API_URL: "http://127.0.0.1:9" });
  const { result, output } = await captureConsole(() => s.call({ body: { provider: "stripe", tier: "premium" } }));
  assert.equal(result.status, 502);
  assertNoSecrets(JSON.stringify(result.body) + output.text());
});
