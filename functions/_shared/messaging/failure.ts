/**
 * What a channel throws when a reminder could not be handed to its provider. `retryable` failures (timeouts,
 * network errors, 429, 5xx, a channel not configured yet) are tried again by a later run; the others (no address,
 * a message the provider rejects) are reported at once. Messages name the provider and the status, never a key,
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

/**
 * An HTTP status as a failure: 408, 429 and 5xx are worth another try; so are 401 and 403, which say our key or
 * account is wrong (the operator can fix it before the attempts run out); other 4xx refuse this message itself.
 */
export function httpFailure(provider: string, status: number, what = ""): ChannelFailure {
  const retryable = [401, 403, 408, 429].includes(status) || status >= 500;
  return new ChannelFailure(`${provider} answered HTTP ${status}${what ? ` (${what})` : ""}`, retryable);
}
