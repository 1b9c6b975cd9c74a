/**
 * AI tokens against the tier's daily budget (../spend.ts): a request reserves what it may cost before the provider
 * is called (its input, estimated, plus the max_tokens it asks for) and is settled with the provider's own count
 * once it answers. A provider that never answered gives the reservation back; one that stopped mid-reply keeps it
 * (it may have billed).
 */
import type { Database } from "../db.ts";
import { type Reservation, reserveSpend, settleSpend, tokenEstimate } from "../spend.ts";
import type { ChatInput } from "./fallback.ts";
import type { Usage } from "./types.ts";

/** Input (estimated from its text) plus the most output the request asks for. */
export function tokensAskedFor(input: ChatInput): number {
  const text = [input.system ?? "", ...input.messages.map((m) => m.content)].join("\n");
  return tokenEstimate(text) + input.maxTokens;
}

export function reserveAiTokens(db: Database, userId: string, input: ChatInput, source: string): Promise<Reservation> {
  return reserveSpend(db, userId, "ai_tokens", tokensAskedFor(input), source);
}

/**
 * The provider's count when it gave one; otherwise the reservation stands as it is. After a fallback
 * (`attempts` > 1) the providers that failed may have billed too, so nothing is given back, only more taken.
 */
export async function settleAiTokens(
  db: Database,
  reservation: Reservation,
  usage: Usage,
  attempts: number,
): Promise<void> {
  if (usage.inputTokens === null || usage.outputTokens === null) return;
  const used = usage.inputTokens + usage.outputTokens;
  if (attempts > 1 && used < reservation.quantity) return;
  await settleSpend(db, reservation, used);
}

/** Nothing was spent (no provider answered): the reservation is given back. */
export async function releaseAiTokens(db: Database, reservation: Reservation): Promise<void> {
  await settleSpend(db, reservation, 0);
}
