/**
 * What processing a document spends is counted in its owner's daily budgets (../_shared/spend.ts), before each
 * provider call: OCR pages per Vision request, AI tokens for the summary, embedding tokens for the chunks.
 * Past the OCR budget the job waits for the budget to reset (deferJob); past the summary's or the embeddings'
 * budget the document is kept without a summary or without vectors (full-text search still finds it), so nothing
 * already paid for is paid again.
 */
import type { Database } from "../_shared/db.ts";
import { type EmbeddingConfig, type Embeddings, embedTexts } from "../_shared/embeddings.ts";
import type { Logger } from "../_shared/log.ts";
import { reserveSpend, settleSpend, SpendBudgetExceeded, tokenEstimate } from "../_shared/spend.ts";
import { UnprocessableDocument } from "./extract.ts";
import type { VisionConfig } from "./vision.ts";

export const SOURCE = "document-processor";

/**
 * The Vision settings, with each request's pages reserved first: SpendBudgetExceeded past today's budget (the job
 * waits for the reset), or, for a document with more pages than a whole day's budget, a permanent failure, so it
 * is not read part-way again every day.
 */
export function meteredVision(vision: VisionConfig, db: Database, ownerId: string): VisionConfig {
  let reserved = 0;
  return {
    ...vision,
    beforePages: async (pages) => {
      try {
        await reserveSpend(db, ownerId, "ocr_pages", pages, SOURCE);
      } catch (error) {
        if (error instanceof SpendBudgetExceeded && reserved + pages > error.refusal.dailyLimit) {
          throw new UnprocessableDocument(
            `the document has more pages than the ${error.refusal.tier} tier reads by OCR in a day ` +
              `(${error.refusal.dailyLimit}); split it, or upgrade the subscription`,
          );
        }
        throw error;
      }
      reserved += pages;
    },
  };
}

/** The chunks' vectors, or null when the owner's embedding budget cannot take them. */
export async function embedWithinBudget(
  db: Database,
  ownerId: string,
  config: EmbeddingConfig,
  chunks: readonly string[],
  log: Logger,
): Promise<Embeddings | null> {
  // An estimate, settled to OpenAI's count: the UTF-8 length (a ceiling) would keep a long document out of a
  // budget its real tokens fit.
  const estimate = chunks.reduce((sum, chunk) => sum + tokenEstimate(chunk), 0);
  let reservation;
  try {
    reservation = await reserveSpend(db, ownerId, "embedding_tokens", estimate, SOURCE);
  } catch (error) {
    if (!(error instanceof SpendBudgetExceeded)) throw error;
    log.warn("document kept without embeddings: the owner's daily embedding budget is spent", {
      details: error.details,
    });
    return null;
  }
  let embedded: Embeddings;
  try {
    embedded = await embedTexts(config, chunks, log);
  } catch (error) {
    await settleSpend(db, reservation, 0);
    throw error;
  }
  if (embedded.tokens !== null) await settleSpend(db, reservation, embedded.tokens);
  return embedded;
}
