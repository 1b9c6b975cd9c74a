/**
 * Guide 002's health check of the external services, each that has its keys set: one free, read-only,
 * authenticated call within the check deadline (no message sent, no payment made, nothing billed). They are
 * optional to serving: a failure makes the report `degraded`, never a 503.
 *
 * Not checked: Google Vision (no call proves its key without annotating an image, which is billed) and FCM
 * (proving the service account means minting an OAuth token on every check).
 */
import { type Env, envString, isSecureUrl } from "../_shared/env.ts";
import { fetchWithTimeout, TimeoutError } from "../_shared/timeout.ts";
import { type CheckResult, timed } from "./checks.ts";

interface Probe {
  /** The variables that must all be set for the provider to be checked. */
  needs: readonly string[];
  baseVariable: string;
  defaultBase: string;
  request(env: Env, base: string): { url: string; headers: Record<string, string> };
}

const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

export const PROVIDER_PROBES: Record<string, Probe> = {
  stripe: {
    needs: ["STRIPE_SECRET_KEY"],
    baseVariable: "STRIPE_API_URL",
    defaultBase: "https://api.stripe.com",
    request: (env, base) => ({
      url: `${base}/v1/balance`,
      headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY}` },
    }),
  },
  razorpay: {
    needs: ["RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET"],
    baseVariable: "RAZORPAY_API_URL",
    defaultBase: "https://api.razorpay.com",
    request: (env, base) => ({
      url: `${base}/v1/payments?count=1`,
      headers: { Authorization: basic(env.RAZORPAY_KEY_ID!, env.RAZORPAY_KEY_SECRET!) },
    }),
  },
  google_translation: {
    needs: ["GOOGLE_TRANSLATE_API_KEY"],
    baseVariable: "GOOGLE_TRANSLATE_BASE_URL",
    defaultBase: "https://translation.googleapis.com",
    // Listing the supported languages is free; the key is Google's to receive in the query.
    request: (env, base) => ({
      url: `${base}/language/translate/v2/languages?key=${encodeURIComponent(env.GOOGLE_TRANSLATE_API_KEY!)}`,
      headers: {},
    }),
  },
  sendgrid: {
    needs: ["SENDGRID_API_KEY"],
    baseVariable: "SENDGRID_BASE_URL",
    defaultBase: "https://api.sendgrid.com",
    request: (env, base) => ({
      url: `${base}/v3/scopes`,
      headers: { Authorization: `Bearer ${env.SENDGRID_API_KEY}` },
    }),
  },
  resend: {
    needs: ["RESEND_API_KEY"],
    baseVariable: "RESEND_BASE_URL",
    defaultBase: "https://api.resend.com",
    request: (env, base) => ({ url: `${base}/domains`, headers: { Authorization: `Bearer ${env.RESEND_API_KEY}` } }),
  },
  twilio: {
    needs: ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"],
    baseVariable: "TWILIO_BASE_URL",
    defaultBase: "https://api.twilio.com",
    request: (env, base) => ({
      url: `${base}/2010-04-01/Accounts/${encodeURIComponent(env.TWILIO_ACCOUNT_SID!)}.json`,
      headers: { Authorization: basic(env.TWILIO_ACCOUNT_SID!, env.TWILIO_AUTH_TOKEN!) },
    }),
  },
};

export async function checkProviders(env: Env, timeoutMs: number): Promise<Record<string, CheckResult>> {
  const names = Object.keys(PROVIDER_PROBES);
  const results = await Promise.all(names.map((name) => checkProvider(env, PROVIDER_PROBES[name], timeoutMs)));
  return Object.fromEntries(names.map((name, i) => [name, results[i]]));
}

function checkProvider(env: Env, probe: Probe, timeoutMs: number): Promise<CheckResult> {
  return timed(async () => {
    if (!probe.needs.every((name) => envString(env, name))) return { status: "not_configured" };
    const base = (envString(env, probe.baseVariable) ?? probe.defaultBase).replace(/\/+$/, "");
    if (!isSecureUrl(base)) return { status: "failed", error: `${probe.baseVariable} is not an https:// URL` };
    const { url, headers } = probe.request(env, base);
    try {
      const { response } = await fetchWithTimeout(url, { headers }, timeoutMs);
      await response.body?.cancel().catch(() => {});
      return response.ok ? { status: "ok" } : { status: "failed", error: `HTTP ${response.status}` };
    } catch (error) {
      return {
        status: "failed",
        error: error instanceof TimeoutError ? `timed out after ${error.timeoutMs} ms` : "could not connect",
      };
    }
  });
}
