/**
 * What the messaging stand-ins share: the failure a test switches on, an optional delay (so overlapping runs
 * really overlap), and the answer each mode gives, in the provider's own error shape.
 */
export type MessagingMode = "ok" | "error_500" | "rate_limited_429" | "rejected_400" | "hang";

export interface MessagingControls {
  mode: MessagingMode;
  /** Milliseconds each accepted request waits before it is answered. */
  delayMs: number;
}

export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
