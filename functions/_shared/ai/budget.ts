/**
 * One request's time for all its provider attempts (AI_TOTAL_TIMEOUT_MS). Each attempt keeps its own deadline
 * (AI_PROVIDER_TIMEOUT_MS, for the headers and again for each read) and is also stopped when the request's time runs
 * out, so it gets the lesser of the two. Once the time is spent the providers left are not asked at all: the platform
 * answers 504 on its own when a function sends nothing for 150 s, and a 503 that says why is better.
 */
import { withTimeout } from "../timeout.ts";
import { ProviderFailure } from "./failure.ts";

/** Less than this left and an attempt has no chance (a timer of a few ms would only race the clock): skip it. */
export const MIN_ATTEMPT_MS = 50;

export class AttemptBudget {
  readonly #endsAt: number;

  constructor(readonly totalMs: number) {
    this.#endsAt = performance.now() + totalMs;
  }

  remainingMs(): number {
    return Math.max(0, Math.floor(this.#endsAt - performance.now()));
  }

  /** Throws the `out_of_time` failure when too little time is left to start another attempt. */
  ensureTimeLeft(): void {
    if (this.remainingMs() < MIN_ATTEMPT_MS) {
      throw new ProviderFailure("out_of_time", `not tried: ${this.#limit()} was used up`);
    }
  }

  /**
   * Waits for one attempt, at most for the time left; when that runs out first, `abort` stops the attempt (its
   * connection) and the attempt fails as a `timeout` that says it was the request's time, not the provider's.
   */
  async bound<T>(attempt: Promise<T>, abort: () => void): Promise<T> {
    const allowedMs = this.remainingMs();
    let cut = false;
    try {
      return await withTimeout(attempt, allowedMs, () => {
        cut = true;
        abort();
      });
    } catch (error) {
      if (cut) throw new ProviderFailure("timeout", `timed out after ${allowedMs} ms, when ${this.#limit()} ran out`);
      throw error;
    }
  }

  #limit(): string {
    return `AI_TOTAL_TIMEOUT_MS = ${this.totalMs} ms`;
  }
}
