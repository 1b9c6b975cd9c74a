/**
 * What a user's tier allows them to ask of an AI provider, from the database (private.ai_model_allowance, over
 * private.ai_tier_models and private.ai_tier_limits; see sql/README.md): whether a model may be asked for, the
 * max_tokens ceiling, and how much history one request may send. The data is the limit, so every function that
 * calls a provider asks it here, inside the caller's transaction.
 */
import { sqlState, type Tx } from "../db.ts";
import { misconfigured } from "../env.ts";
import { HttpError, profileMissing } from "../errors.ts";
import type { ModelChoice } from "./fallback.ts";

export interface AiAllowance {
  tier: string;
  /** Whether the tier includes exactly this provider and model. */
  modelAllowed: boolean;
  maxTokens: number;
  maxHistoryMessages: number;
  maxHistoryCharacters: number;
  /** The tier's models of the choice's provider, to name in an error. */
  allowedModels: string[];
}

interface AllowanceRow {
  tier: string;
  model_allowed: boolean;
  max_tokens: number | null;
  max_history_messages: number | null;
  max_history_characters: number | null;
  allowed_models: string[];
}

export async function aiAllowance(tx: Tx, userId: string, choice: ModelChoice): Promise<AiAllowance> {
  let row: AllowanceRow;
  try {
    [row] = await tx<AllowanceRow[]>`
      select tier, model_allowed, max_tokens, max_history_messages, max_history_characters, allowed_models
      from private.ai_model_allowance(${userId}::uuid, ${choice.provider}, ${choice.model || null})`;
  } catch (error) {
    if (sqlState(error) === "P0002") throw profileMissing();
    throw error;
  }
  if (row.max_tokens === null || row.max_history_messages === null || row.max_history_characters === null) {
    throw misconfigured(`the ${row.tier} tier has no AI limits; add its row to private.ai_tier_limits`);
  }
  return {
    tier: row.tier,
    modelAllowed: row.model_allowed,
    maxTokens: row.max_tokens,
    maxHistoryMessages: row.max_history_messages,
    maxHistoryCharacters: row.max_history_characters,
    allowedModels: row.allowed_models,
  };
}

/** 403 for a model the user's tier does not include, naming the ones it does. */
export function modelNotAllowed(choice: ModelChoice, allowance: AiAllowance): HttpError {
  const choose = allowance.allowedModels.length > 0
    ? `choose one of ${allowance.allowedModels.join(", ")}`
    : `the tier has no ${choice.provider} models; choose another provider`;
  return new HttpError(
    403,
    "model_not_allowed",
    // The model may come from a row written before its length was bounded: never echo more than a name's worth.
    `The ${allowance.tier} tier does not include model ${
      choice.model.slice(0, 100)
    } of ${choice.provider}; ${choose}, ` +
      "or upgrade the subscription",
    { details: { tier: allowance.tier, provider: choice.provider, allowed_models: allowance.allowedModels } },
  );
}
