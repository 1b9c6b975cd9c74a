/**
 * The history sent with one request, bounded: the newest messages that fit, together with the system prompt, in
 * the tier's character budget (private.ai_tier_limits.max_history_characters). Stored history can be far larger
 * than what one call should carry; the oldest messages are dropped first, whole, so no message is sent cut.
 */
import type { ChatMessage } from "./types.ts";

export interface BoundedPrompt {
  system?: string;
  history: ChatMessage[];
  /** How many of the history's messages were left out. */
  dropped: number;
}

/** `history` oldest first, as it is sent. A system prompt longer than the whole budget is cut to it. */
export function fitHistory(
  history: readonly ChatMessage[],
  system: string | undefined,
  maxCharacters: number,
): BoundedPrompt {
  const fittedSystem = system === undefined ? undefined : system.slice(0, maxCharacters);
  let left = maxCharacters - (fittedSystem?.length ?? 0);
  let first = history.length;
  while (first > 0 && history[first - 1].content.length <= left) {
    first -= 1;
    left -= history[first].content.length;
  }
  return { system: fittedSystem || undefined, history: history.slice(first), dropped: first };
}
