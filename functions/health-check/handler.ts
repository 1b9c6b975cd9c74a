/**
 * health-check: is this deployment able to serve? Called without a JWT (verify_jwt false) by Route53's health
 * checker, which needs an answer within 2 seconds of connecting, every 30 seconds from several regions.
 *
 * Database, Storage and every AI provider with a key are checked in parallel, each within HEALTH_CHECK_TIMEOUT_MS
 * (default 1500). The answer: `status` healthy or degraded, `version` (APP_VERSION, default 1.0.0), per-check
 * status and timings. HTTP 503 when the platform cannot serve (database or storage failing, or every configured
 * AI provider failing), so the health checker fails over; HTTP 200 with `degraded` when one AI provider fails
 * but another answers (the chat falls back). Results are reused for HEALTH_CACHE_SECONDS (default 10) and
 * concurrent calls share one run, so an anonymous caller cannot multiply calls to the providers.
 */
import type { ProviderId } from "../_shared/ai/types.ts";
import { createDatabase } from "../_shared/db.ts";
import { type Env, envInt, envString } from "../_shared/env.ts";
import { createPublicFunction, type EdgeFunction } from "../_shared/function.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { checkAiProviders, checkAlerts, checkDatabase, type CheckResult, checkStorage } from "./checks.ts";
import { checkProviders } from "./providers.ts";

const NAME = "health-check";
const DEFAULT_VERSION = "1.0.0";
// When this isolate started: the report's uptime is the isolate's (Supabase starts and retires them).
const STARTED_AT = Date.now();

export interface HealthReport {
  status: "healthy" | "degraded";
  timestamp: string;
  version: string;
  duration_ms: number;
  uptime_seconds: number;
  memory_mb: { rss: number; heap_used: number };
  checks: {
    database: CheckResult;
    storage: CheckResult;
    ai_providers: Record<ProviderId, CheckResult>;
    alerts: CheckResult;
    /** Stripe, Razorpay, Google Translation, SendGrid, Resend, Twilio: each with its keys set (./providers.ts). */
    providers: Record<string, CheckResult>;
  };
}

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  // One connection is enough for a ping; connect within the check's deadline.
  const timeoutMs = envInt(env, "HEALTH_CHECK_TIMEOUT_MS", 1500, 50, 10_000);
  const cacheMs = envInt(env, "HEALTH_CACHE_SECONDS", 10, 0, 300) * 1000;
  const db = createDatabase(env, {
    maxConnections: 1,
    connectTimeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)),
  });
  const closing = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const settled = p.catch(() => {}).finally(() => closing.delete(settled));
    closing.add(settled);
  };
  let latest: { at: number; report: Promise<{ report: HealthReport; httpStatus: number }> } | undefined;

  const run = async () => {
    const started = performance.now();
    const [database, storage, ai_providers, alerts, providers] = await Promise.all([
      checkDatabase(db, timeoutMs, track),
      checkStorage(env, timeoutMs),
      checkAiProviders(env, timeoutMs),
      checkAlerts(db, timeoutMs),
      checkProviders(env, timeoutMs),
    ]);
    const memory = Deno.memoryUsage();
    const report: HealthReport = {
      status: "healthy",
      timestamp: new Date().toISOString(),
      version: envString(env, "APP_VERSION") ?? DEFAULT_VERSION,
      duration_ms: Math.round(performance.now() - started),
      uptime_seconds: Math.round((Date.now() - STARTED_AT) / 1000),
      memory_mb: { rss: megabytes(memory.rss), heap_used: megabytes(memory.heapUsed) },
      checks: { database, storage, ai_providers, alerts, providers },
    };
    const ai = Object.values(ai_providers).filter((c) => c.status !== "not_configured");
    // An active alert or an optional provider failing degrades the report but is no reason to fail over.
    const anyFailed = [database, storage, alerts, ...ai, ...Object.values(providers)].some((c) =>
      c.status === "failed"
    );
    const cannotServe = database.status === "failed" || storage.status === "failed" ||
      (ai.length > 0 && ai.every((c) => c.status === "failed"));
    report.status = anyFailed ? "degraded" : "healthy";
    return { report, httpStatus: cannotServe ? 503 : 200 };
  };

  const fn = createPublicFunction(
    { name: NAME, env, methods: ["GET", "HEAD", "POST"], resources: [db] },
    async (req, ctx) => {
      const now = Date.now();
      if (!latest || now - latest.at >= cacheMs) {
        latest = { at: now, report: run() };
        // A failed run must not be served from the cache.
        latest.report.catch(() => (latest = undefined));
      }
      const { report, httpStatus } = await latest.report;
      if (report.status !== "healthy") ctx.log.warn("health degraded", { checks: report.checks });
      if (req.method === "HEAD") return new Response(null, { status: httpStatus });
      return jsonResponse(report, httpStatus);
    },
  );
  return {
    ...fn,
    async close() {
      await Promise.all([...closing]);
      await fn.close();
    },
  };
}

function megabytes(bytes: number): number {
  return Math.round(bytes / 10485.76) / 100;
}
