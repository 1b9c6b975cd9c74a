/**
 * The health checks, each within a deadline and reporting only what is safe to publish (the endpoint needs no
 * token): ok / failed / not_configured, how long it took, and for a failure a short reason (an HTTP status,
 * "timed out after 1500 ms", "connection refused"), never a host name, a key or an upstream message.
 */
import { ADAPTERS, PROVIDER_IDS, readAiConfig } from "../_shared/ai/providers.ts";
import { asProviderFailure } from "../_shared/ai/failure.ts";
import type { ProviderId } from "../_shared/ai/types.ts";
import { type Database, sqlState } from "../_shared/db.ts";
import { type Env, envString } from "../_shared/env.ts";
import { fetchWithTimeout, TimeoutError, withTimeout } from "../_shared/timeout.ts";

export interface CheckResult {
  status: "ok" | "failed" | "not_configured";
  duration_ms: number;
  error?: string;
}

export async function timed(work: () => Promise<Omit<CheckResult, "duration_ms">>): Promise<CheckResult> {
  const started = performance.now();
  const result = await work();
  return { ...result, duration_ms: Math.round(performance.now() - started) };
}

/** A round trip to the database. On a timeout the pool is dropped, so a stuck connection does not hold the next check. */
export function checkDatabase(
  db: Database,
  timeoutMs: number,
  track: (p: Promise<void>) => void,
): Promise<CheckResult> {
  return timed(async () => {
    try {
      await withTimeout(db.ping(), timeoutMs, () => track(db.close(0)));
      return { status: "ok" };
    } catch (error) {
      return { status: "failed", error: databaseProblem(error) };
    }
  });
}

/**
 * The alerts the database's monitor raised in its last runs (private.active_system_alerts): any active one
 * makes the report `degraded`, which the Route53 health check (matching `"status":"healthy"`) turns into an
 * alarm on the stack's alerts topic. Only the alerts' type names are published.
 */
export function checkAlerts(db: Database, timeoutMs: number): Promise<CheckResult> {
  return timed(async () => {
    try {
      const rows = await withTimeout(
        db.asServiceRole((tx) => tx`select alert_type from private.active_system_alerts()`),
        timeoutMs,
      );
      if (rows.length === 0) return { status: "ok" };
      return { status: "failed", error: `active: ${rows.map((row) => String(row.alert_type)).join(", ")}` };
    } catch (error) {
      return { status: "failed", error: databaseProblem(error) };
    }
  });
}

/** Lists buckets through the Storage API with the service-role key: the API is up and the key is accepted. */
export function checkStorage(env: Env, timeoutMs: number): Promise<CheckResult> {
  return timed(async () => {
    const base = envString(env, "SUPABASE_URL");
    const key = envString(env, "SUPABASE_SERVICE_ROLE_KEY");
    if (!base || !key) return { status: "failed", error: "SUPABASE_URL or SUPABASE_SERVICE_ROLE_KEY is not set" };
    try {
      const { response } = await fetchWithTimeout(
        `${base.replace(/\/+$/, "")}/storage/v1/bucket`,
        { headers: { authorization: `Bearer ${key}`, apikey: key } },
        timeoutMs,
      );
      await response.body?.cancel().catch(() => {});
      return response.ok ? { status: "ok" } : { status: "failed", error: `HTTP ${response.status}` };
    } catch (error) {
      return { status: "failed", error: error instanceof TimeoutError ? timedOut(error) : "could not connect" };
    }
  });
}

/** Each provider with a key: a free authenticated call (list models). Without a key: not configured, not failed. */
export async function checkAiProviders(env: Env, timeoutMs: number): Promise<Record<ProviderId, CheckResult>> {
  let config: ReturnType<typeof readAiConfig>;
  try {
    config = readAiConfig(env);
  } catch {
    const misconfigured: CheckResult = { status: "failed", duration_ms: 0, error: "misconfigured (see the logs)" };
    return { openai: misconfigured, claude: misconfigured, gemini: misconfigured };
  }
  const results = await Promise.all(PROVIDER_IDS.map((id) =>
    timed(async () => {
      const settings = config.providers[id];
      if (!settings.apiKey) return { status: "not_configured" };
      try {
        await ADAPTERS[id].probe(settings, timeoutMs);
        return { status: "ok" };
      } catch (error) {
        return { status: "failed", error: asProviderFailure(error).detail };
      }
    })
  ));
  return Object.fromEntries(PROVIDER_IDS.map((id, i) => [id, results[i]])) as Record<ProviderId, CheckResult>;
}

function databaseProblem(error: unknown): string {
  if (error instanceof TimeoutError) return timedOut(error);
  const state = sqlState(error);
  if (state) return `query failed (SQLSTATE ${state})`;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "CONNECT_TIMEOUT") return "connection timed out";
  return "could not connect";
}

function timedOut(error: TimeoutError): string {
  return `timed out after ${error.timeoutMs} ms`;
}
