/**
 * What a channel throws when a reminder could not be handed to its provider. `retryable` failures (timeouts,
 * network errors, 429, 5xx, a channel not configured yet) are tried again by a later run; the others (no address,
 * an address the provider rejects) are reported at once. Messages name the provider and the status, never a key,
 * an address or the provider's answer.
 */
export class ChannelFailure extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = "ChannelFailure";
  }
}

export interface Sent {
  provider: string;
  messageId: string | null;
}

/** An HTTP status as a failure: 408, 429 and 5xx are worth another try, other 4xx are not. */
export function httpFailure(provider: string, status: number, what = ""): ChannelFailure {
  const retryable = status === 408 || status === 429 || status >= 500;
  return new ChannelFailure(`${provider} answered HTTP ${status}${what ? ` (${what})` : ""}`, retryable);
}
