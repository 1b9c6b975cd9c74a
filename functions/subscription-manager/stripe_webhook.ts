/**
 * Stripe's webhook (guide 002, "Configure Stripe webhook endpoints"): the `Stripe-Signature` header checked over
 * the raw body with the SDK's helper (HMAC-SHA256 with the endpoint's signing secret STRIPE_WEBHOOK_SECRET, and
 * the header's timestamp within STRIPE_WEBHOOK_TOLERANCE_SECONDS, default 300), then the events below turned into a
 * subscription change, a payment, or a payment taken back. Other types are acknowledged and ignored.
 *
 * A subscription's status is Stripe's own (https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses),
 * stored as Stripe states it; what each status grants is decided in the database (private.subscription_grant_end:
 * active and trialing until the period ends, past_due only on a period already paid, the rest nothing).
 *
 * Whose subscription it is comes from the metadata this function set at checkout (user_id, tier on the session
 * and on the subscription, which Stripe copies onto its invoices); Stripe signs the event, so it is trusted. The
 * tier of a plan changed in the customer portal comes from the subscription's price (STRIPE_PRICE_<TIER>).
 * Invoices are read in both shapes: `invoice.subscription` (API versions before 2025-03-31) and
 * `invoice.parent.subscription_details` (from then on); periods from `items.data[].current_period_end` (from
 * 2025-03-31) or the subscription's `current_period_end` (before).
 */
import { type Env, envInt, envString, requireEnv } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import {
  field,
  fromUnix,
  idOf,
  PAID_TIERS,
  type PaidTier,
  paidTierOf,
  type PaymentRecord,
  type ProviderEvent,
  stringField,
  type SubscriptionChange,
  subscriptionStatusOf,
  userIdOf,
} from "./events.ts";
import { cryptoProvider, Stripe, stripeClient, stripeWebhooks } from "./stripe_client.ts";
import STRIPE_EVENT_LIST from "./stripe_events.json" with { type: "json" };

/** The events the stack subscribes Stripe's endpoint to; the program reads the same file (stackconfig/stripe.py). */
export const STRIPE_EVENTS: readonly string[] = STRIPE_EVENT_LIST;

/** What reading an event may need beyond the event: the tier of our prices, and a disputed charge. */
export interface StripeLookups {
  tierOfPrice(priceId: string): PaidTier | null;
  retrieveCharge(chargeId: string): Promise<unknown>;
}

export function stripeLookups(env: Env): StripeLookups {
  const tiers = new Map<string, PaidTier>();
  for (const tier of PAID_TIERS) {
    const price = envString(env, `STRIPE_PRICE_${tier.toUpperCase()}`);
    if (price) tiers.set(price, tier);
  }
  return {
    tierOfPrice: (priceId) => tiers.get(priceId) ?? null,
    async retrieveCharge(chargeId) {
      try {
        return await stripeClient(env).charges.retrieve(chargeId);
      } catch (error) {
        // A charge Stripe does not know (another account's, or deleted test data) pays for nothing of ours.
        if (error instanceof Stripe.errors.StripeError && error.statusCode === 404) return null;
        // Otherwise answered 502: Stripe sends the event again later, and nothing of it was recorded.
        throw new HttpError(502, "payment_provider_error", "Stripe could not be asked about the disputed charge", {
          headers: { "Retry-After": "30" },
        });
      }
    },
  };
}

/** The verified event, or a 400 saying whether the signature or its timestamp is wrong (never the secret). */
export async function verifyStripeEvent(env: Env, body: string, signature: string): Promise<ProviderEvent> {
  const secret = requireEnv(env, "STRIPE_WEBHOOK_SECRET");
  const tolerance = envInt(env, "STRIPE_WEBHOOK_TOLERANCE_SECONDS", 300, 1, 3600);
  let event: Stripe.Event;
  try {
    event = await stripeWebhooks.constructEventAsync(body, signature, secret, tolerance, cryptoProvider);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      if (/tolerance/i.test(error.message)) {
        throw new HttpError(
          400,
          "signature_expired",
          `The Stripe-Signature timestamp is more than ${tolerance} s old; Stripe resends a fresh signature`,
        );
      }
      throw new HttpError(400, "invalid_signature", "The Stripe-Signature header does not match the body");
    }
    throw new HttpError(400, "invalid_event", "The body is not a Stripe event");
  }
  return await interpretStripeEvent(event, stripeLookups(env));
}

export async function interpretStripeEvent(event: Stripe.Event, lookups: StripeLookups): Promise<ProviderEvent> {
  const base: ProviderEvent = {
    provider: "stripe",
    id: event.id,
    type: event.type,
    occurredAt: fromUnix(event.created) ?? new Date(),
    payload: event,
  };
  const object: unknown = event.data?.object;
  switch (event.type) {
    case "checkout.session.completed":
      return { ...base, ...checkoutCompleted(object) };
    case "invoice.payment_succeeded":
      return { ...base, ...invoiceEvent(object, "succeeded") };
    case "invoice.payment_failed":
      return { ...base, ...invoiceEvent(object, "failed") };
    case "customer.subscription.deleted":
      return { ...base, ...subscriptionDeleted(object) };
    case "customer.subscription.updated":
      return { ...base, ...subscriptionUpdated(object, lookups) };
    case "charge.refunded":
      return { ...base, ...chargeRefunded(object) };
    case "charge.dispute.created":
      return { ...base, ...await disputeCreated(object, lookups) };
    default:
      return { ...base, ignored: `event type ${event.type} is not handled` };
  }
}

type Meaning = Pick<ProviderEvent, "subscription" | "payment" | "reversal" | "ignored">;

function checkoutCompleted(session: unknown): Meaning {
  const subscriptionId = idOf(field(session, "subscription"));
  if (field(session, "mode") !== "subscription" || !subscriptionId) {
    return { ignored: "checkout session is not for a subscription" };
  }
  const userId = userIdOf(field(session, "metadata", "user_id")) ?? userIdOf(field(session, "client_reference_id"));
  const tier = paidTierOf(field(session, "metadata", "tier"));
  if (!userId || !tier) return { ignored: "checkout session carries no user_id and tier of ours" };
  // "unpaid" sessions (delayed payment methods) become active with their first paid invoice.
  const paid = field(session, "payment_status") !== "unpaid";
  return {
    subscription: {
      subscriptionId,
      userId,
      tier,
      status: paid ? "active" : "incomplete",
      customer: idOf(field(session, "customer")),
    },
  };
}

function invoiceSubscription(invoice: unknown): { id: string | null; metadata: unknown } {
  const details = field(invoice, "parent", "subscription_details");
  const id = idOf(field(details, "subscription")) ?? idOf(field(invoice, "subscription"));
  const metadata = field(details, "metadata") ?? field(invoice, "subscription_details", "metadata") ?? {};
  return { id, metadata };
}

function invoiceEvent(invoice: unknown, outcome: "succeeded" | "failed"): Meaning {
  const invoiceId = stringField(invoice, "id");
  if (!invoiceId) return { ignored: "invoice without an id" };
  const { id: subscriptionId, metadata } = invoiceSubscription(invoice);
  const userId = userIdOf(field(metadata, "user_id"));
  const tier = paidTierOf(field(metadata, "tier"));
  const amount = field(invoice, outcome === "succeeded" ? "amount_paid" : "amount_due");
  const payment: PaymentRecord = {
    paymentId: invoiceId,
    subscriptionId,
    userId,
    amountCents: typeof amount === "number" && amount >= 0 ? amount : 0,
    currency: (stringField(invoice, "currency") ?? "usd").toUpperCase(),
    status: outcome,
    paidAt: outcome === "succeeded" ? fromUnix(field(invoice, "status_transitions", "paid_at")) ?? new Date() : null,
    description: stringField(invoice, "number") ?? undefined,
  };
  if (!subscriptionId) return { payment, ignored: undefined };
  if (outcome === "failed") {
    // The first invoice failing leaves the subscription incomplete (Stripe expires it after 23 hours); a renewal
    // failing makes it past_due, which keeps the tier only on the period already paid. The failed invoice's period
    // is one nobody paid for: it is not stored.
    const first = field(invoice, "billing_reason") === "subscription_create";
    return {
      payment,
      subscription: {
        subscriptionId,
        userId,
        tier,
        status: first ? "incomplete" : "past_due",
        customer: idOf(field(invoice, "customer")),
      },
    };
  }
  const period = invoicePeriod(invoice);
  const subscription: SubscriptionChange = {
    subscriptionId,
    userId,
    tier,
    status: "active",
    customer: idOf(field(invoice, "customer")),
    periodStart: period.start,
    periodEnd: period.end,
    // A $0 invoice (a trial's first) pays for nothing: past_due after it keeps no tier.
    paidUntil: payment.amountCents > 0 ? period.end : null,
  };
  return { subscription, payment };
}

/** The period an invoice bills: the earliest start and latest end of its lines (prorations lie inside it). */
function invoicePeriod(invoice: unknown): { start: Date | null; end: Date | null } {
  const lines = field(invoice, "lines", "data");
  const periods = (Array.isArray(lines) ? lines : []).map((line) => ({
    start: fromUnix(field(line, "period", "start")),
    end: fromUnix(field(line, "period", "end")),
  }));
  const starts = periods.flatMap((p) => p.start ? [p.start.getTime()] : []);
  const ends = periods.flatMap((p) => p.end ? [p.end.getTime()] : []);
  return {
    start: starts.length ? new Date(Math.min(...starts)) : null,
    end: ends.length ? new Date(Math.max(...ends)) : null,
  };
}

function subscriptionDeleted(subscription: unknown): Meaning {
  const subscriptionId = stringField(subscription, "id");
  if (!subscriptionId) return { ignored: "subscription without an id" };
  return {
    subscription: {
      subscriptionId,
      userId: userIdOf(field(subscription, "metadata", "user_id")),
      tier: paidTierOf(field(subscription, "metadata", "tier")),
      status: "canceled",
      customer: idOf(field(subscription, "customer")),
    },
  };
}

/**
 * Stripe's word on a subscription's state (plan changes and cancellations in the customer portal, trials ending,
 * retries exhausted, `incomplete_expired`): the status as Stripe states it, the tier of its price (else the
 * checkout's metadata), and its current period.
 */
function subscriptionUpdated(subscription: unknown, lookups: StripeLookups): Meaning {
  const subscriptionId = stringField(subscription, "id");
  if (!subscriptionId) return { ignored: "subscription without an id" };
  const status = subscriptionStatusOf(field(subscription, "status"));
  if (!status) return { ignored: `subscription status ${String(field(subscription, "status"))} is not Stripe's` };
  const item = field(subscription, "items", "data", "0");
  const price = idOf(field(item, "price"));
  return {
    subscription: {
      subscriptionId,
      userId: userIdOf(field(subscription, "metadata", "user_id")),
      tier: (price ? lookups.tierOfPrice(price) : null) ?? paidTierOf(field(subscription, "metadata", "tier")),
      status,
      customer: idOf(field(subscription, "customer")),
      periodStart: fromUnix(field(item, "current_period_start") ?? field(subscription, "current_period_start")),
      periodEnd: fromUnix(field(item, "current_period_end") ?? field(subscription, "current_period_end")),
    },
  };
}

/** A charge refunded in full takes the tier it paid for; a partial refund (a pro-rated credit) does not. */
function chargeRefunded(charge: unknown): Meaning {
  if (field(charge, "refunded") !== true) return { ignored: "a partial refund keeps the subscription's tier" };
  return reversalOf(charge, "refunded");
}

/** A dispute takes the money back at once, whatever its outcome later: the tier goes with it. */
async function disputeCreated(dispute: unknown, lookups: StripeLookups): Promise<Meaning> {
  const charge = field(dispute, "charge");
  const chargeId = idOf(charge);
  if (!chargeId) return { ignored: "dispute without a charge" };
  // The dispute names only its charge; the charge names the customer (and, before 2025-03-31, the invoice).
  const full = typeof charge === "object" && charge !== null && "customer" in charge
    ? charge
    : await lookups.retrieveCharge(chargeId);
  return reversalOf(full, "disputed");
}

function reversalOf(charge: unknown, outcome: "refunded" | "disputed"): Meaning {
  const paymentId = idOf(field(charge, "invoice"));
  const customer = idOf(field(charge, "customer"));
  if (!paymentId && !customer) return { ignored: `the ${outcome} charge names no invoice and no customer` };
  return { reversal: { paymentId, customer, outcome } };
}
