/**
 * What a verified provider event means for us, whichever provider sent it: at most one subscription change and
 * at most one payment. `ignored` says why an event changes nothing (a type we do not handle, a checkout that is
 * not ours); such events are still recorded and acknowledged, so the provider stops resending them.
 */

export type Provider = "stripe" | "razorpay";

/** The tiers a checkout may buy (public.subscription_tiers, less free). */
export const PAID_TIERS = ["premium", "family_plus", "business"] as const;
export type PaidTier = typeof PAID_TIERS[number];

/** public.subscriptions' status check constraint: Stripe's documented subscription statuses, all of them. */
export const SUBSCRIPTION_STATUSES = [
  "incomplete",
  "incomplete_expired",
  "trialing",
  "active",
  "past_due",
  "canceled",
  "unpaid",
  "paused",
] as const;
export type SubscriptionStatus = typeof SUBSCRIPTION_STATUSES[number];

export function subscriptionStatusOf(value: unknown): SubscriptionStatus | null {
  return typeof value === "string" && (SUBSCRIPTION_STATUSES as readonly string[]).includes(value)
    ? value as SubscriptionStatus
    : null;
}

export interface SubscriptionChange {
  subscriptionId: string;
  /** From metadata we set at checkout; null when the event does not carry it (the stored row knows). */
  userId: string | null;
  tier: PaidTier | null;
  status: SubscriptionStatus;
  customer?: string | null;
  periodStart?: Date | null;
  periodEnd?: Date | null;
  /** Set only by a succeeded payment: the end of the period it paid for (what past_due may live on). */
  paidUntil?: Date | null;
}

/** A payment taken back (a full refund, a dispute): the subscription it paid for stops granting its tier. */
export interface PaymentReversal {
  /** Our payment's provider id (a Stripe invoice id), when the event names it. */
  paymentId: string | null;
  /** The provider's customer, to find the subscription when the payment is not named. */
  customer: string | null;
  outcome: "refunded" | "disputed";
}

export interface PaymentRecord {
  paymentId: string;
  subscriptionId: string | null;
  userId: string | null;
  amountCents: number;
  currency: string;
  status: "succeeded" | "failed";
  paidAt: Date | null;
  description?: string;
}

export interface ProviderEvent {
  provider: Provider;
  id: string;
  type: string;
  /** The provider's own time for the event: the newest one of a subscription wins. */
  occurredAt: Date;
  payload: unknown;
  subscription?: SubscriptionChange;
  payment?: PaymentRecord;
  reversal?: PaymentReversal;
  ignored?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function userIdOf(value: unknown): string | null {
  return typeof value === "string" && UUID.test(value) ? value.toLowerCase() : null;
}

export function paidTierOf(value: unknown): PaidTier | null {
  return typeof value === "string" && (PAID_TIERS as readonly string[]).includes(value) ? value as PaidTier : null;
}

/** Unix seconds (both providers' timestamps) as a Date; null when absent or not a number. */
export function fromUnix(value: unknown): Date | null {
  return typeof value === "number" && Number.isFinite(value) ? new Date(value * 1000) : null;
}

/** A field of a loosely typed JSON object (provider payloads vary by API version). */
export function field(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function stringField(value: unknown, ...path: string[]): string | null {
  const found = field(value, ...path);
  return typeof found === "string" && found.length > 0 ? found : null;
}

/** An id that is either a string or an expanded object with an id (Stripe's expandable fields). */
export function idOf(value: unknown): string | null {
  if (typeof value === "string" && value.length > 0) return value;
  return stringField(value, "id");
}
