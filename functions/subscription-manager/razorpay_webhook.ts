/**
 * Razorpay's webhook (guide 002, "Configure Razorpay webhook"): `X-Razorpay-Signature` is the hex HMAC-SHA256 of
 * the raw body keyed with the webhook's secret (RAZORPAY_WEBHOOK_SECRET), compared in constant time. Razorpay
 * signs no timestamp; a replay is caught by the event id (`X-Razorpay-Event-Id`, which Razorpay sends for this
 * purpose; without it, the body's SHA-256, so an identical body is the same event). That header is not signed: a
 * copied body sent again under a fresh id is harmless all the same, because payments are keyed by the payment id
 * and a subscription's state moves only on a newer event time (and never out of canceled).
 *
 * A checkout through Razorpay is an order for one period of a tier, stored by this function as an `incomplete`
 * subscription keyed by the order id, with the user and tier decided on our side: `payment.captured` of that
 * order makes it active for a month (paid until then; the database ends the tier after it and its grace period,
 * and an order paid while an earlier one still runs starts where that one ends), `payment.failed` records the
 * failure. Razorpay Subscriptions created for a user with our notes (user_id, tier) move with
 * `subscription.charged` (a paid cycle: renewals extend the period), `.pending`, `.halted` and `.cancelled`.
 * Other types are acknowledged and ignored.
 */
import { type Env, requireEnv } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import {
  field,
  fromUnix,
  paidTierOf,
  type PaymentRecord,
  type ProviderEvent,
  stringField,
  type SubscriptionStatus,
  userIdOf,
} from "./events.ts";

export const RAZORPAY_EVENTS = [
  "payment.captured",
  "payment.failed",
  "subscription.charged",
  "subscription.pending",
  "subscription.halted",
  "subscription.cancelled",
] as const;

/** Razorpay Subscriptions' events that move a subscription, and the status each means (Stripe's names). */
const SUBSCRIPTION_STATES = {
  "subscription.charged": "active",
  "subscription.pending": "past_due",
  "subscription.halted": "unpaid",
  "subscription.cancelled": "canceled",
} as const satisfies Record<string, SubscriptionStatus>;
type SubscriptionEventType = keyof typeof SUBSCRIPTION_STATES;
const ONE_PERIOD_MONTHS = 1;

const encoder = new TextEncoder();

async function hmacKey(secret: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What Razorpay sends: the signature of `body` (tests and the local stand-in sign with it). */
export async function razorpaySignature(secret: string, body: string): Promise<string> {
  return hex(await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(body)));
}

export async function verifyRazorpayEvent(
  env: Env,
  body: string,
  signature: string,
  eventIdHeader: string | null,
): Promise<ProviderEvent> {
  const secret = requireEnv(env, "RAZORPAY_WEBHOOK_SECRET");
  const mac = /^[0-9a-f]{64}$/i.test(signature.trim())
    ? Uint8Array.from(signature.trim().match(/../g)!, (pair) => parseInt(pair, 16))
    : undefined;
  // crypto.subtle.verify compares in constant time.
  if (!mac || !await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, encoder.encode(body))) {
    throw new HttpError(400, "invalid_signature", "The X-Razorpay-Signature header does not match the body");
  }
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    throw new HttpError(400, "invalid_event", "The body is not a Razorpay event (not JSON)");
  }
  const type = stringField(event, "event");
  if (!type) throw new HttpError(400, "invalid_event", "The body is not a Razorpay event (no `event` field)");
  const id = eventIdHeader && /^[A-Za-z0-9_.:-]{1,255}$/.test(eventIdHeader)
    ? eventIdHeader
    : `sha256:${hex(await crypto.subtle.digest("SHA-256", encoder.encode(body)))}`;
  return interpretRazorpayEvent(id, type, event);
}

export function interpretRazorpayEvent(id: string, type: string, event: unknown): ProviderEvent {
  const occurredAt = fromUnix(field(event, "created_at")) ?? new Date();
  const base: ProviderEvent = { provider: "razorpay", id, type, occurredAt, payload: event };
  switch (type) {
    case "payment.captured":
    case "payment.failed":
      return { ...base, ...paymentEvent(field(event, "payload", "payment", "entity"), type, occurredAt) };
    case "subscription.charged":
    case "subscription.pending":
    case "subscription.halted":
    case "subscription.cancelled":
      return { ...base, ...subscriptionEvent(event, type, occurredAt) };
    default:
      return { ...base, ignored: `event type ${type} is not handled` };
  }
}

function paymentEvent(
  payment: unknown,
  type: string,
  occurredAt: Date,
): Pick<ProviderEvent, "subscription" | "payment" | "ignored"> {
  const paymentId = stringField(payment, "id");
  if (!paymentId) return { ignored: "payment without an id" };
  const orderId = stringField(payment, "order_id");
  const captured = type === "payment.captured";
  const amount = field(payment, "amount");
  const record: PaymentRecord = {
    paymentId,
    subscriptionId: orderId,
    userId: null,
    amountCents: typeof amount === "number" && amount >= 0 ? amount : 0,
    currency: (stringField(payment, "currency") ?? "INR").toUpperCase(),
    status: captured ? "succeeded" : "failed",
    paidAt: captured ? occurredAt : null,
    description: stringField(payment, "description") ?? undefined,
  };
  if (!orderId) return { payment: record };
  if (!captured) return { payment: record };
  const periodEnd = new Date(occurredAt);
  periodEnd.setUTCMonth(periodEnd.getUTCMonth() + ONE_PERIOD_MONTHS);
  return {
    payment: record,
    // userId and tier null: only an order this function stored (with its user and tier) is activated.
    subscription: {
      subscriptionId: orderId,
      userId: null,
      tier: null,
      status: "active",
      customer: stringField(payment, "customer_id"),
      periodStart: occurredAt,
      periodEnd,
      // The month is paid: it ends then (plus the grace period), unless another order extends it.
      paidUntil: periodEnd,
    },
  };
}

/**
 * A Razorpay subscription (created for a user with our notes) moves: `subscription.charged` is a paid cycle (active,
 * paid until the cycle's end: a renewal extends the tier), `pending` a failing charge Razorpay retries (past_due: only
 * the paid cycle's grace), `halted` retries exhausted (unpaid: nothing), `cancelled` the end.
 */
function subscriptionEvent(
  event: unknown,
  type: SubscriptionEventType,
  occurredAt: Date,
): Pick<ProviderEvent, "subscription" | "payment" | "ignored"> {
  const subscription = field(event, "payload", "subscription", "entity");
  const subscriptionId = stringField(subscription, "id");
  if (!subscriptionId) return { ignored: "subscription without an id" };
  const status = SUBSCRIPTION_STATES[type];
  const userId = userIdOf(field(subscription, "notes", "user_id"));
  const change = {
    subscriptionId,
    userId,
    tier: paidTierOf(field(subscription, "notes", "tier")),
    status,
    customer: stringField(subscription, "customer_id"),
  };
  if (type !== "subscription.charged") return { subscription: change };
  const periodStart = fromUnix(field(subscription, "current_start"));
  const periodEnd = fromUnix(field(subscription, "current_end"));
  const payment = field(event, "payload", "payment", "entity");
  const paymentId = stringField(payment, "id");
  const amount = field(payment, "amount");
  return {
    subscription: { ...change, periodStart, periodEnd, paidUntil: periodEnd },
    payment: paymentId
      ? {
        paymentId,
        subscriptionId,
        userId,
        amountCents: typeof amount === "number" && amount >= 0 ? amount : 0,
        currency: (stringField(payment, "currency") ?? "INR").toUpperCase(),
        status: "succeeded",
        paidAt: occurredAt,
        description: stringField(payment, "description") ?? undefined,
      }
      : undefined,
  };
}
