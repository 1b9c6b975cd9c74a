/**
 * Why a provider could not answer, in words safe to show a client: the HTTP status or the kind of failure, never
 * the provider's response body (which may echo the request) nor the key.
 */
import { TimeoutError } from "../timeout.ts";

export type FailureKind =
  | "not_configured"
  | "timeout"
  | "network_error"
  | "rate_limited"
  | "unavailable"
  | "auth_failed"
  | "rejected"
  | "bad_response"
  // Not asked at all: the request's time for AI providers (AI_TOTAL_TIMEOUT_MS) was spent on the ones before.
  | "out_of_time";

export class ProviderFailure extends Error {
  constructor(readonly kind: FailureKind, readonly detail: string) {
    super(detail);
    this.name = "ProviderFailure";
  }
}

export function failureFromStatus(status: number): ProviderFailure {
  if (status === 429) return new ProviderFailure("rate_limited", "HTTP 429 (rate limited)");
  if (status === 401 || status === 403) {
    return new ProviderFailure("auth_failed", `HTTP ${status} (the API key was refused)`);
  }
  if (status >= 500) return new ProviderFailure("unavailable", `HTTP ${status}`);
  return new ProviderFailure("rejected", `HTTP ${status} (request refused)`);
}

/** Any error from calling a provider, as a ProviderFailure. */
export function asProviderFailure(error: unknown): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  if (error instanceof TimeoutError) return new ProviderFailure("timeout", `timed out after ${error.timeoutMs} ms`);
  if (error instanceof SyntaxError) return new ProviderFailure("bad_response", "the answer was not valid JSON");
  return new ProviderFailure("network_error", "could not connect");
}

export function badResponse(what: string): ProviderFailure {
  return new ProviderFailure("bad_response", what);
}
