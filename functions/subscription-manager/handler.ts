/**
 * subscription-manager (guide 002): checkouts for a paid tier, and the payment providers' webhooks, on one URL.
 *
 *   POST with Stripe-Signature        Stripe's webhook (stripe_webhook.ts)             -> 200 {"received": true, ...}
 *   POST with X-Razorpay-Signature    Razorpay's webhook (razorpay_webhook.ts)         -> 200 {"received": true, ...}
 *   POST {"provider", "tier"} + JWT   a checkout for the signed-in user (checkout.ts)  -> 201
 *   GET + JWT                         the user's tier, its limits and subscriptions    -> 200
 *
 * Deployed with verify_jwt false (function.json): providers send no JWT, so the gateway must let their calls
 * through; the user paths verify the token here (../_shared/auth.ts). Every webhook event is recorded once
 * (apply.ts): a replay is acknowledged and changes nothing, an unknown type is acknowledged and ignored, events
 * out of order leave the newest state. The profile's tier, and with it the hourly rate limit and the storage
 * limit, follow the subscription in the database (migrations 20251101000800, 20261201400300).
 */
import { authenticate, requireSignedInUser, type SignedInUser } from "../_shared/auth.ts";
import { createDatabase, type Database } from "../_shared/db.ts";
import type { Env } from "../_shared/env.ts";
import { createPublicFunction, type EdgeFunction, type RequestContext } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { parseBody } from "../_shared/validation.ts";
import { recordAndApply } from "./apply.ts";
import { checkoutRequest, razorpayCheckout, refuseSecondSubscription, stripeCheckout } from "./checkout.ts";
import type { ProviderEvent } from "./events.ts";
import { readRawBody } from "./raw_body.ts";
import { verifyRazorpayEvent } from "./razorpay_webhook.ts";
import { verifyStripeEvent } from "./stripe_webhook.ts";

export const NAME = "subscription-manager";

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createPublicFunction(
    { name: NAME, env, methods: ["GET", "POST"], resources: [db] },
    async (req, ctx) => {
      const stripeSignature = req.headers.get("stripe-signature");
      const razorpaySignature = req.headers.get("x-razorpay-signature");
      if (req.method === "POST" && stripeSignature !== null) {
        const body = await readRawBody(req);
        return await acknowledge(db, ctx, await verifyStripeEvent(ctx.env, body, stripeSignature));
      }
      if (req.method === "POST" && razorpaySignature !== null) {
        const body = await readRawBody(req);
        const event = await verifyRazorpayEvent(
          ctx.env,
          body,
          razorpaySignature,
          req.headers.get("x-razorpay-event-id"),
        );
        return await acknowledge(db, ctx, event);
      }
      const user = requireSignedInUser(await authenticate(req, ctx.env));
      ctx.measure.userId = user.userId; // the performance row's tier is the caller's
      const log = ctx.log.child({ user_id: user.userId });
      if (req.method === "GET") return await subscriptionStatus(db, user);
      return await checkout(req, { ...ctx, log }, db, user);
    },
  );
}

async function acknowledge(db: Database, ctx: RequestContext, event: ProviderEvent): Promise<Response> {
  const result = await recordAndApply(db, event);
  ctx.log.info("webhook event", {
    provider: event.provider,
    event_id: event.id,
    event_type: event.type,
    outcome: result.outcome,
    subscription_status: result.subscriptionStatus,
    note: result.note,
  });
  return jsonResponse({
    received: true,
    event_id: event.id,
    outcome: result.outcome,
    ...(result.subscriptionStatus === undefined ? {} : { subscription_status: result.subscriptionStatus }),
  });
}

async function checkout(req: Request, ctx: RequestContext, db: Database, user: SignedInUser): Promise<Response> {
  const limit = await enforceRateLimit(db, user, NAME);
  const input = await parseBody(req, checkoutRequest);
  await refuseSecondSubscription(db, user, input.provider, input.tier);
  const started = input.provider === "stripe"
    ? await stripeCheckout(ctx.env, user, input.tier, ctx.log)
    : await razorpayCheckout(db, ctx.env, user, input.tier, ctx.log);
  ctx.log.info("checkout started", { provider: input.provider, tier: input.tier });
  return jsonResponse(started, 201, rateLimitHeaders(limit));
}

async function subscriptionStatus(db: Database, user: SignedInUser): Promise<Response> {
  // A paid period that ran out shows as over at once, not at the schedule's next run.
  await db.asServiceRole((tx) =>
    tx`
      select private.refresh_profile_tier(p.id) from public.profiles p
      where p.id = ${user.userId} and p.tier_valid_until <= now()`
  );
  const [profile, subscriptions] = await db.asCaller(user, async (tx) => [
    (await tx`
      select p.subscription_tier as tier, t.hourly_request_limit, p.storage_limit, p.storage_used
      from public.profiles p join public.subscription_tiers t on t.tier = p.subscription_tier
      where p.id = ${user.userId}`)[0],
    await tx`
      select provider, tier, status, current_period_end, private.subscription_grant_end(s) as grants_until,
             cancel_at_period_end, canceled_at, created_at
      from public.subscriptions s where user_id = ${user.userId} order by created_at desc`,
  ]);
  return jsonResponse({
    tier: profile?.tier ?? "free",
    hourly_request_limit: profile?.hourly_request_limit ?? null,
    storage_limit_bytes: profile ? Number(profile.storage_limit) : null,
    storage_used_bytes: profile ? Number(profile.storage_used) : null,
    subscriptions,
  });
}
