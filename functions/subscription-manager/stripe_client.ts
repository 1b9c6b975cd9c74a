/**
 * The Stripe SDK (npm:stripe), set up for the edge runtime: fetch for HTTP, SubtleCrypto for webhook signatures.
 * STRIPE_API_URL points it elsewhere (tests, a proxy); it must be https, or http on loopback.
 */
import Stripe from "npm:stripe@23.1.0";
import { type Env, envInt, requireEnv, requireSecureUrl } from "../_shared/env.ts";

export { Stripe };

export const cryptoProvider = Stripe.createSubtleCryptoProvider();

export function stripeClient(env: Env): Stripe {
  const url = new URL(requireSecureUrl(env, "STRIPE_API_URL", "https://api.stripe.com"));
  return new Stripe(requireEnv(env, "STRIPE_SECRET_KEY"), {
    httpClient: Stripe.createFetchHttpClient(),
    host: url.hostname,
    port: url.port || (url.protocol === "https:" ? "443" : "80"),
    protocol: url.protocol === "https:" ? "https" : "http",
    timeout: envInt(env, "STRIPE_TIMEOUT_MS", 10_000, 100, 60_000),
    // The SDK retries idempotently (it sends an Idempotency-Key), so a retried create makes one object.
    maxNetworkRetries: 1,
    telemetry: false,
  });
}

/** Webhook signatures need the signing secret, not the API key: the SDK's static helper. */
export const stripeWebhooks = Stripe.webhooks;
