/**
 * One `performance_metrics` row per measured request, written by the backend (service_role; users can neither
 * read nor write the table), after the answer is built so it never slows the caller down.
 *
 * Sampled: PERFORMANCE_SAMPLE_RATE (0 to 1, default 0.1) of the requests are written, so a busy function adds
 * one insert per ten requests, not one per request; the scraper's logs figures count every request anyway.
 * A failed write is logged and dropped: measuring must never fail a request.
 *
 * The caller's tier: the handler's when it set ctx.measure.tier, otherwise, for a signed-in caller, the profile's
 * subscription_tier read inside the same insert, so only sampled requests pay for it and no request waits on it.
 */
import { type Database, jsonb } from "./db.ts";
import type { Env } from "./env.ts";
import { envString } from "./env.ts";
import type { Logger } from "./log.ts";

export const DEFAULT_SAMPLE_RATE = 0.1;

export interface RequestMeasure {
  functionName: string;
  durationMs: number;
  status: number;
  method: string;
  requestId: string;
  /** The caller's plan when the handler knows it (ctx.measure.tier). */
  tier?: string;
  /** The signed-in caller (the frame sets it); their profile's tier is used when no tier was given. */
  userId?: string;
}

/** The share of requests measured; a bad value is the default, said once in the log of the request. */
export function sampleRate(env: Env, log?: Logger): number {
  const raw = envString(env, "PERFORMANCE_SAMPLE_RATE");
  if (raw === undefined) return DEFAULT_SAMPLE_RATE;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    log?.warn("PERFORMANCE_SAMPLE_RATE must be a number from 0 to 1; using the default", { value: raw });
    return DEFAULT_SAMPLE_RATE;
  }
  return value;
}

export async function recordPerformance(db: Database, measure: RequestMeasure): Promise<void> {
  const memory = Deno.memoryUsage();
  await db.asServiceRole((tx) =>
    tx`
      insert into public.performance_metrics
        (function_name, execution_time_ms, memory_used_mb, heap_used_mb, success, user_tier, metadata)
      values (${measure.functionName}, ${Math.max(0, Math.round(measure.durationMs))}, ${memory.rss / 1048576},
              ${memory.heapUsed / 1048576}, ${measure.status < 500},
              coalesce(${measure.tier ?? null}::text,
                       (select p.subscription_tier from public.profiles p where p.id = ${
      measure.userId ?? null
    }::uuid)),
              ${jsonb(tx, { status: measure.status, method: measure.method, request_id: measure.requestId })})`
  );
}
