/**
 * Stripe's webhook (guide 002, "Configure Stripe webhook endpoints"): the `Stripe-Signature` header checked over
 * the raw body with the SDK's helper (HMAC-SHA256 with the endpoint's signing secret STRIPE_WEBHOOK_SECRET, and
 * the header's timestamp within STRIPE_WEBHOOK_TOLERANCE_SECONDS, default 300), then the four events the guide
 * subscribes to turned into a subscription change and a payment. Other types are acknowledged and ignored.
 *
 * Whose subscription it is comes from the metadata this function set at checkout (user_id, tier on the session
 * and on the subscription, which Stripe copies onto its invoices); Stripe signs the event, so it is trusted.
 * Invoices are read in both shapes: `invoice.subscription` (API versions before 2025-03-31) and
 * `invoice.parent.subscription_details` (from then on).
 */
import { type Env, envInt, requireEnv } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import {
  field,
  fromUnix,
  idOf,
  paidTierOf,
  type PaymentRecord,
  type ProviderEvent,
  stringField,
  type SubscriptionChange,
  userIdOf,
} from "./events.ts";
import { cryptoProvider, Stripe, stripeWebhooks } from "./stripe_client.ts";

export const STRIPE_EVENTS = [
  "checkout.session.completed",
  "invoice.payment_succeeded",
  "customer.subscription.deleted",
  "invoice.payment_failed",
] as const;

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
  return interpretStripeEvent(event);
}

export function interpretStripeEvent(event: Stripe.Event): ProviderEvent {
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
    default:
      return { ...base, ignored: `event type ${event.type} is not handled` };
  }
}

type Meaning = Pick<ProviderEvent, "subscription" | "payment" | "ignored">;

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
  const line = field(invoice, "lines", "data", "0");
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
  const subscription: SubscriptionChange = {
    subscriptionId,
    userId,
    tier,
    // A failed renewal keeps the tier while Stripe retries (past_due); the deletion event ends it.
    status: outcome === "succeeded" ? "active" : "past_due",
    customer: idOf(field(invoice, "customer")),
    periodStart: fromUnix(field(line, "period", "start")),
    periodEnd: fromUnix(field(line, "period", "end")),
  };
  return { subscription, payment };
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
