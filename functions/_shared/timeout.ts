/** Deadlines for outbound calls. Timers are always cleared, so nothing outlives the call (tests check that). */

export class TimeoutError extends Error {
  constructor(readonly timeoutMs: number, what = "the call") {
    super(`${what} timed out after ${timeoutMs} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * fetch with a deadline for the response headers. The returned controller lets the caller keep enforcing a
 * deadline while it reads the body (see readWithIdleTimeout) or abort it.
 */
export async function fetchWithTimeout(
  url: string,
  init: RequestInit,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<{ response: Response; controller: AbortController }> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    // The outer signal stays connected after the headers: aborting it must also stop the body (a stream).
    const response = await fetch(url, { ...init, signal: controller.signal });
    return { response, controller };
  } catch (error) {
    outer?.removeEventListener("abort", onOuterAbort);
    if (timedOut) throw new TimeoutError(timeoutMs);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the body as text within the deadline; aborts the request when it passes. */
export async function textWithTimeout(response: Response, controller: AbortController, timeoutMs: number) {
  return await withTimeout(response.text(), timeoutMs, () => controller.abort());
}

/** Races a promise against a deadline; `onTimeout` cancels the work that lost the race. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The loser may still reject later; without a handler that would be an unhandled rejection.
  work.catch(() => {});
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Reject first: cancelling makes `work` fail too, and the race must report the timeout, not the abort.
      reject(new TimeoutError(timeoutMs));
      onTimeout?.();
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
