/**
 * Daily budgets for paid units (translation characters, OCR pages, embedding and AI tokens, SMS segments,
 * e-mails, push messages), kept by the database: private.reserve_spend checks the user's tier's budget
 * (private.spend_tier_limits) and records the reservation in the append-only private.spend_ledger in one call,
 * under a lock per user and unit, so concurrent requests cannot overshoot (sql/README.md).
 *
 * Reserve before the provider is called, in a transaction of its own (so the reservation is committed and the
 * lock released before the slow call); settle afterwards with what the provider reported, or with 0 when the call
 * failed and nothing was spent.
 */
import { type Database, sqlState } from "./db.ts";
import { misconfigured } from "./env.ts";
import { HttpError, profileMissing } from "./errors.ts";

export type SpendUnit =
  | "translation_characters"
  | "ocr_pages"
  | "embedding_tokens"
  | "ai_tokens"
  | "sms_segments"
  | "emails"
  | "push_messages"
  | "family_invitations";

export interface SpendRefusal {
  unit: SpendUnit;
  tier: string;
  dailyLimit: number;
  used: number;
  requested: number;
  resetsAt: Date;
}

/** A reservation the budget refused: a 429 saying which budget, how much is left and when it resets. */
export class SpendBudgetExceeded extends HttpError {
  constructor(readonly refusal: SpendRefusal) {
    const { unit, tier, dailyLimit, used, requested, resetsAt } = refusal;
    const retryAfter = Math.max(1, Math.ceil((resetsAt.getTime() - Date.now()) / 1000));
    super(
      429,
      "spend_budget_exceeded",
      `Daily budget reached: the ${tier} tier allows ${dailyLimit} ${unitName(unit)} a day; ${used} are used ` +
        `and this needs ${requested}. It resets at ${resetsAt.toISOString()}; upgrade the subscription for more`,
      {
        details: {
          unit,
          tier,
          daily_limit: dailyLimit,
          used,
          remaining: Math.max(0, dailyLimit - used),
          requested,
          resets_at: resetsAt.toISOString(),
        },
        headers: { "Retry-After": String(retryAfter) },
      },
    );
  }
}

/**
 * A refusal a trigger raised (SQLSTATE 53400) with the budget as JSON in its detail (see
 * sql/migrations/20261207143910_invitations_counted_in_ledger.sql), or undefined for any other error.
 */
export function budgetRefusalOf(error: unknown, requested = 1): SpendBudgetExceeded | undefined {
  if (sqlState(error) !== "53400") return undefined;
  let detail: Record<string, unknown>;
  try {
    detail = JSON.parse(String((error as { detail?: unknown }).detail ?? ""));
  } catch {
    return undefined;
  }
  if (typeof detail?.unit !== "string" || typeof detail.resets_at !== "string") return undefined;
  return new SpendBudgetExceeded({
    unit: detail.unit as SpendUnit,
    tier: String(detail.tier),
    dailyLimit: Number(detail.daily_limit),
    used: Number(detail.used),
    requested,
    resetsAt: new Date(detail.resets_at),
  });
}

export interface Reservation {
  id: string;
  unit: SpendUnit;
  quantity: number;
}

/**
 * Reserves `quantity` units for `userId` (as service_role: the ledger is the backend's), or throws
 * SpendBudgetExceeded. `source` is the function's name, kept in the ledger.
 */
export async function reserveSpend(
  db: Database,
  userId: string,
  unit: SpendUnit,
  quantity: number,
  source: string,
): Promise<Reservation> {
  const units = Math.max(1, Math.ceil(quantity));
  let row: ReserveRow;
  try {
    [row] = await db.asServiceRole((tx) =>
      tx<ReserveRow[]>`
        select allowed, reservation_id::text, tier, daily_limit::float8, used::float8, resets_at
        from private.reserve_spend(${userId}::uuid, ${unit}, ${units}, ${source})`
    );
  } catch (error) {
    if (sqlState(error) === "P0002") throw profileMissing();
    if (sqlState(error) === "22023") throw misconfigured(`the spend unit "${unit}" is not in private.spend_units`);
    throw error;
  }
  if (!row.allowed) {
    throw new SpendBudgetExceeded({
      unit,
      tier: row.tier,
      dailyLimit: row.daily_limit,
      used: row.used,
      requested: units,
      resetsAt: new Date(row.resets_at),
    });
  }
  return { id: row.reservation_id!, unit, quantity: units };
}

/** Records what the provider actually used for a reservation (0 when the call failed). Once per reservation. */
export async function settleSpend(db: Database, reservation: Reservation, actual: number): Promise<void> {
  const units = Math.max(0, Math.ceil(actual));
  if (units === reservation.quantity) return;
  await db.asServiceRole((tx) => tx`select private.settle_spend(${reservation.id}::bigint, ${units})`);
}

/**
 * Runs `call` under a reservation of `quantity` units: refused past the budget before `call` starts, given back
 * if `call` throws (nothing was spent), settled with `actual(result)` when given.
 */
export async function withSpend<T>(
  db: Database,
  userId: string,
  unit: SpendUnit,
  quantity: number,
  source: string,
  call: () => Promise<T>,
  actual?: (result: T) => number | null,
): Promise<T> {
  const reservation = await reserveSpend(db, userId, unit, quantity, source);
  let result: T;
  try {
    result = await call();
  } catch (error) {
    await settleSpend(db, reservation, 0);
    throw error;
  }
  const used = actual?.(result);
  if (used !== undefined && used !== null) await settleSpend(db, reservation, used);
  return result;
}

/** An upper bound on the tokens of `text` for any byte-level tokenizer: its UTF-8 length. */
export function tokenCeiling(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * What a text will probably cost in tokens, for a reservation that is settled afterwards with the provider's
 * count: about four characters a token in English, fewer in other scripts, so a third of the UTF-8 length.
 */
export function tokenEstimate(text: string): number {
  return Math.ceil(tokenCeiling(text) / 3);
}

interface ReserveRow {
  allowed: boolean;
  reservation_id: string | null;
  tier: string;
  daily_limit: number;
  used: number;
  resets_at: Date | string;
}

function unitName(unit: SpendUnit): string {
  return unit.replaceAll("_", " ");
}
