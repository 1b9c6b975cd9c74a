/**
 * A checkout for a paid tier, started by a signed-in user.
 *
 * Stripe: a Checkout Session in subscription mode for the tier's price (STRIPE_PRICE_PREMIUM,
 * STRIPE_PRICE_FAMILY_PLUS, STRIPE_PRICE_BUSINESS), carrying our user id and tier as metadata on the session and
 * on the subscription it creates, so every later event says whose it is. The user is sent to its URL.
 * Razorpay: an order for one month of the tier (RAZORPAY_AMOUNT_<TIER> in the currency's smallest unit,
 * RAZORPAY_CURRENCY, default INR) through Razorpay's Orders API, stored here as an `incomplete` subscription with
 * the user and tier, which its `payment.captured` webhook makes active. The frontend opens Razorpay Checkout
 * with the order id and RAZORPAY_KEY_ID.
 * The success and cancel pages are under FRONTEND_URL.
 */
import type { SignedInUser } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { type Env, envInt, envString, misconfigured, requireEnv, requireSecureUrl } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import type { Logger } from "../_shared/log.ts";
import { fetchWithTimeout } from "../_shared/timeout.ts";
import { z } from "../_shared/validation.ts";
import { PAID_TIERS, type PaidTier } from "./events.ts";
import { Stripe, stripeClient } from "./stripe_client.ts";

export const checkoutRequest = z.object({
  provider: z.enum(["stripe", "razorpay"], { errorMap: () => ({ message: "must be stripe or razorpay" }) }),
  tier: z.enum(PAID_TIERS, { errorMap: () => ({ message: `must be one of ${PAID_TIERS.join(", ")}` }) }),
}, { invalid_type_error: "must be a JSON object" }).strict();

export type CheckoutRequest = z.infer<typeof checkoutRequest>;

const envSuffix = (tier: PaidTier) => tier.toUpperCase();

/** A Razorpay month may be bought this long before the running one ends; it then starts where that one ends. */
export const RENEWAL_WINDOW_DAYS = 7;

/**
 * One live subscription per tier: a second checkout is refused while one still grants the tier
 * (private.subscription_grant_end), except a Razorpay renewal within the last RENEWAL_WINDOW_DAYS of a month.
 */
export async function refuseSecondSubscription(
  db: Database,
  user: SignedInUser,
  provider: "stripe" | "razorpay",
  tier: PaidTier,
): Promise<void> {
  const rows = await db.asCaller(user, (tx) =>
    tx`
      select s.provider, coalesce(s.current_period_end, private.subscription_grant_end(s))
               > now() + make_interval(days => ${RENEWAL_WINDOW_DAYS}) as beyond_window
      from public.subscriptions s
      where s.user_id = ${user.userId} and s.tier = ${tier} and private.subscription_grant_end(s) > now()`);
  const renewal = provider === "razorpay" && rows.every((row) => row.provider === "razorpay" && !row.beyond_window);
  if (rows.length > 0 && !renewal) {
    throw new HttpError(409, "already_subscribed", `You already have a live ${tier} subscription`);
  }
}

export async function stripeCheckout(env: Env, user: SignedInUser, tier: PaidTier, log: Logger) {
  const price = requireEnv(env, `STRIPE_PRICE_${envSuffix(tier)}`);
  const frontend = requireSecureUrl(env, "FRONTEND_URL").replace(/\/+$/, "");
  const metadata = { user_id: user.userId, tier };
  try {
    const session = await stripeClient(env).checkout.sessions.create({
      mode: "subscription",
      line_items: [{ price, quantity: 1 }],
      client_reference_id: user.userId,
      customer_email: typeof user.claims.email === "string" ? user.claims.email : undefined,
      metadata,
      subscription_data: { metadata },
      success_url: `${frontend}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${frontend}/billing?checkout=cancelled`,
    });
    return { provider: "stripe", tier, session_id: session.id, checkout_url: session.url };
  } catch (error) {
    throw providerError("Stripe", error, log);
  }
}

export async function razorpayCheckout(db: Database, env: Env, user: SignedInUser, tier: PaidTier, log: Logger) {
  const keyId = requireEnv(env, "RAZORPAY_KEY_ID");
  const keySecret = requireEnv(env, "RAZORPAY_KEY_SECRET");
  const amount = envInt(env, `RAZORPAY_AMOUNT_${envSuffix(tier)}`, 0, 100, 100_000_000);
  if (amount === 0) throw misconfigured(`RAZORPAY_AMOUNT_${envSuffix(tier)} is not set`);
  const currency = (envString(env, "RAZORPAY_CURRENCY") ?? "INR").toUpperCase();
  const base = requireSecureUrl(env, "RAZORPAY_API_URL", "https://api.razorpay.com").replace(/\/+$/, "");
  const timeoutMs = envInt(env, "RAZORPAY_TIMEOUT_MS", 10_000, 100, 60_000);
  let order: { id?: unknown };
  try {
    const { response } = await fetchWithTimeout(`${base}/v1/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${keyId}:${keySecret}`)}` },
      body: JSON.stringify({
        amount,
        currency,
        receipt: `${tier}-${crypto.randomUUID().slice(0, 18)}`,
        notes: { user_id: user.userId, tier },
      }),
    }, timeoutMs);
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`Razorpay answered HTTP ${response.status}`);
    }
    order = await response.json();
  } catch (error) {
    throw providerError("Razorpay", error, log);
  }
  if (typeof order.id !== "string" || !order.id.startsWith("order_")) {
    throw providerError("Razorpay", new Error("the order has no id"), log);
  }
  // The order is ours only once stored with its user and tier: the webhook trusts this row, not the notes.
  await db.asServiceRole((tx) =>
    tx`
      insert into public.subscriptions (user_id, tier, provider, provider_subscription_id, status)
      values (${user.userId}, ${tier}, 'razorpay', ${order.id as string}, 'incomplete')`
  );
  return { provider: "razorpay", tier, order_id: order.id, key_id: keyId, amount, currency };
}

function providerError(provider: string, error: unknown, log: Logger): HttpError {
  if (error instanceof HttpError) return error;
  const detail = error instanceof Stripe.errors.StripeError ? { type: error.type, code: error.code } : {};
  log.error(`${provider} checkout failed`, { error, ...detail });
  return new HttpError(
    502,
    "payment_provider_error",
    `${provider} could not start the checkout right now; try again in a moment`,
    { headers: { "Retry-After": "5" } },
  );
}
