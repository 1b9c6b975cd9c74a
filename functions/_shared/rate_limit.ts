/**
 * The per-tier hourly limit, kept in the database by private.check_rate_limit (sql/README.md) so every isolate
 * shares one count. Call it once per request, before the work: an allowed call records the request. The action is
 * the function's name and must be one of private.rate_limit_actions (a new function adds its name in a migration).
 */
import type { SignedInUser } from "./auth.ts";
import { type Database, sqlState, type Tx } from "./db.ts";
import { misconfigured } from "./env.ts";
import { HttpError, profileMissing } from "./errors.ts";

export interface RateLimitStatus {
  allowed: boolean;
  tier: string;
  limit: number;
  used: number;
  remaining: number;
  retryAfterSeconds: number;
}

/** Checks (and, if allowed, records) one request of `action` (the function's name); 429 when over the limit. */
export async function enforceRateLimit(db: Database, user: SignedInUser, action: string): Promise<RateLimitStatus> {
  const status = await db.asCaller(user, (tx) => checkRateLimit(tx, user.userId, action));
  if (!status.allowed) {
    throw new HttpError(
      429,
      "rate_limited",
      `Rate limit reached: the ${status.tier} tier allows ${status.limit} ${action} requests per hour; ` +
        `try again in ${status.retryAfterSeconds} seconds or upgrade the subscription`,
      {
        details: { tier: status.tier, limit: status.limit, retry_after_seconds: status.retryAfterSeconds },
        headers: { "Retry-After": String(status.retryAfterSeconds), ...rateLimitHeaders(status) },
      },
    );
  }
  return status;
}

/** The raw check inside a transaction the caller already holds (as the user or as service_role). */
export async function checkRateLimit(tx: Tx, userId: string, action: string): Promise<RateLimitStatus> {
  try {
    const [row] = await tx`
      select allowed, tier, hourly_limit, used, remaining, retry_after_seconds
      from private.check_rate_limit(${userId}::uuid, ${action})`;
    return {
      allowed: row.allowed,
      tier: row.tier,
      limit: row.hourly_limit,
      used: row.used,
      remaining: row.remaining,
      retryAfterSeconds: row.retry_after_seconds,
    };
  } catch (error) {
    if (sqlState(error) === "P0002") throw profileMissing();
    if (sqlState(error) === "22023") {
      throw misconfigured(
        `the rate limit action "${action}" is not in private.rate_limit_actions; add it there in a migration`,
      );
    }
    throw error;
  }
}

export function rateLimitHeaders(status: RateLimitStatus): Record<string, string> {
  return { "X-RateLimit-Limit": String(status.limit), "X-RateLimit-Remaining": String(status.remaining) };
}
