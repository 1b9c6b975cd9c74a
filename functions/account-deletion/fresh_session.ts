/**
 * Whether the caller signed in a moment ago: the newest entry of the token's `amr` claim (Supabase Auth's
 * authentication method references, `[{"method": "password", "timestamp": <unix seconds>}, ...]`) must be at most
 * FRESH_SESSION_SECONDS old. Refreshing a session keeps those timestamps, so a stolen refresh token or a device
 * left signed in cannot delete the account; the person signs in again (or passes MFA) first. Entries in the
 * RFC 8176 string form carry no time and never count as fresh.
 */
import type { JwtClaims } from "../_shared/auth.ts";
import { HttpError } from "../_shared/errors.ts";

export const FRESH_SESSION_SECONDS = 600;

/** Seconds since the newest sign-in the token records, or null when it records none with a time. */
export function secondsSinceSignIn(claims: JwtClaims, nowSeconds = Date.now() / 1000): number | null {
  const amr = (claims as { amr?: unknown }).amr;
  if (!Array.isArray(amr)) return null;
  const times = amr
    .map((entry) => (entry && typeof entry === "object" ? (entry as { timestamp?: unknown }).timestamp : undefined))
    .filter((time): time is number => typeof time === "number" && Number.isFinite(time));
  if (times.length === 0) return null;
  return Math.max(0, nowSeconds - Math.max(...times));
}

export function requireFreshSession(claims: JwtClaims, nowSeconds = Date.now() / 1000): void {
  const age = secondsSinceSignIn(claims, nowSeconds);
  if (age === null || age > FRESH_SESSION_SECONDS) {
    throw new HttpError(
      401,
      "reauthentication_required",
      `Deleting the account needs a fresh sign-in: sign in again (within ${
        FRESH_SESSION_SECONDS / 60
      } minutes) and repeat the request`,
      { details: { max_age_seconds: FRESH_SESSION_SECONDS, signed_in_seconds_ago: age } },
    );
  }
}
