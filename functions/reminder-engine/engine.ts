/**
 * One run of the reminder engine: claim what is due, send each on its channel, record the outcome. A channel that
 * fails with a retryable error is tried again by a later run after a backoff (1, 5, 25 minutes... capped at an
 * hour), up to REMINDER_MAX_ATTEMPTS; then, or at once for a permanent failure, the occurrence is reported failed.
 *
 * Sent once: a claim is a lease (REMINDER_LEASE_SECONDS) that overlapping runs skip; the run stops sending when its
 * own budget (REMINDER_RUN_BUDGET_MS, well inside the lease) is spent and hands the rest back, so a lease never
 * runs out under a run that is still sending. Only a run that dies between the provider's answer and its commit
 * can leave an occurrence to be sent again after the lease (Resend's Idempotency-Key absorbs even that).
 */
import type { Database } from "../_shared/db.ts";
import { type Env, envInt, envString } from "../_shared/env.ts";
import type { Logger } from "../_shared/log.ts";
import { sendEmail } from "../_shared/messaging/email.ts";
import { ChannelFailure, type Sent } from "../_shared/messaging/failure.ts";
import type { GoogleTokenSource } from "./channels/google_oauth.ts";
import { sendPush, staleTokensOf } from "./channels/push.ts";
import { sendSms, smsSegments } from "./channels/sms.ts";
import { type Reservation, reserveSpend, settleSpend, SpendBudgetExceeded, type SpendUnit } from "../_shared/spend.ts";
import { emailText, pushText, smsText } from "./messages.ts";
import {
  claimDue,
  type ClaimedReminder,
  deferUntil,
  markFailed,
  markRetry,
  markSent,
  release,
  removePushTokens,
} from "./reminders.ts";

export interface EngineSettings {
  batchSize: number;
  leaseSeconds: number;
  runBudgetMs: number;
  maxAttempts: number;
  providerTimeoutMs: number;
  smsDailyLimit: number;
  emailDailyLimit: number;
}

export interface RunReport {
  claimed: number;
  sent: number;
  retrying: number;
  released: number;
  /** Held back until the user's daily budget for the channel resets. */
  over_budget: number;
  failed: { reminder_id: string; user_id: string; channel: string; attempts: number; error: string }[];
}

/** Read before anything is claimed: a bad value is a 500 that leaves every reminder as it was. */
export function engineSettings(env: Env, batchSize?: number): EngineSettings {
  const leaseSeconds = envInt(env, "REMINDER_LEASE_SECONDS", 300, 60, 3600);
  return {
    batchSize: batchSize ?? envInt(env, "REMINDER_BATCH_SIZE", 100, 1, 500),
    leaseSeconds,
    // Half the lease at most, so the lease outlives the run with room to spare.
    runBudgetMs: Math.min(envInt(env, "REMINDER_RUN_BUDGET_MS", 120_000, 1000, 1_800_000), leaseSeconds * 500),
    maxAttempts: envInt(env, "REMINDER_MAX_ATTEMPTS", 3, 1, 10),
    // A push may need four calls per device (token, send, and both again after a 401): keep them well inside the
    // lease, see `leaseEndsAt`.
    providerTimeoutMs: Math.min(envInt(env, "REMINDER_PROVIDER_TIMEOUT_MS", 10_000, 100, 60_000), leaseSeconds * 60),
    smsDailyLimit: envInt(env, "REMINDER_SMS_DAILY_LIMIT", 20, 0, 1000),
    emailDailyLimit: envInt(env, "REMINDER_EMAIL_DAILY_LIMIT", 50, 0, 5000),
  };
}

export function retryDelaySeconds(attempt: number): number {
  return Math.min(3600, 60 * 5 ** Math.max(0, attempt - 1));
}

export async function runOnce(
  env: Env,
  db: Database,
  tokens: GoogleTokenSource,
  settings: EngineSettings,
  log: Logger,
): Promise<RunReport> {
  const started = Date.now();
  const report: RunReport = { claimed: 0, sent: 0, retrying: 0, released: 0, over_budget: 0, failed: [] };
  const claimed = await claimDue(db, settings);
  report.claimed = claimed.length;
  for (const reminder of claimed) {
    if (Date.now() - started > settings.runBudgetMs) {
      await release(db, reminder);
      report.released++;
      continue;
    }
    // Push goes device by device; it stops early enough that the last call ends before the lease does.
    const stopAt = started + settings.leaseSeconds * 750;
    await deliver(env, db, tokens, settings, log, reminder, report, stopAt);
  }
  return report;
}

async function deliver(
  env: Env,
  db: Database,
  tokens: GoogleTokenSource,
  settings: EngineSettings,
  log: Logger,
  reminder: ClaimedReminder,
  report: RunReport,
  stopAt: number,
): Promise<void> {
  const line = log.child({ reminder_id: reminder.id, channel: reminder.channel, attempt: reminder.attempt });
  // Each message is counted against the user's daily budget for its channel before it goes: a run never sends
  // more than the budget has room for, however many reminders it claimed.
  let reservation: Reservation | null;
  try {
    reservation = await reserveMessage(db, reminder);
  } catch (error) {
    if (!(error instanceof SpendBudgetExceeded)) throw error;
    if (await deferUntil(db, reminder, error.message, error.refusal.resetsAt)) report.over_budget++;
    line.warn("reminder held back: daily budget spent", { resets_at: error.refusal.resetsAt.toISOString() });
    return;
  }
  try {
    const sent = await send(env, tokens, settings, reminder, db, stopAt);
    if (await markSent(db, reminder, sent.provider, sent.messageId)) {
      report.sent++;
      line.info("reminder sent", { provider: sent.provider });
    } else {
      line.warn("reminder sent but its claim had passed to another run");
    }
  } catch (error) {
    if (!(error instanceof ChannelFailure)) throw error;
    // The provider refused the message: nothing was billed, so the budget gets it back.
    if (reservation) await settleSpend(db, reservation, 0);
    await removePushTokens(db, reminder.user_id, staleTokensOf(error));
    const final = !error.retryable || reminder.attempt >= settings.maxAttempts;
    if (!final) {
      const delay = retryDelaySeconds(reminder.attempt);
      if (await markRetry(db, reminder, error.message, delay)) report.retrying++;
      line.warn("reminder not sent; will retry", { error: error.message, retry_in_seconds: delay });
      return;
    }
    if (await markFailed(db, reminder, error.message)) {
      report.failed.push({
        reminder_id: reminder.id,
        user_id: reminder.user_id,
        channel: reminder.channel,
        attempts: reminder.attempt,
        error: error.message,
      });
    }
    line.error("reminder failed", { error: error.message, attempts: reminder.attempt });
  }
}

/** What one delivery of `reminder` costs, reserved; null when there is nothing to count (no address). */
function reserveMessage(db: Database, reminder: ClaimedReminder): Promise<Reservation | null> {
  const [unit, quantity]: [SpendUnit, number] = reminder.channel === "sms"
    ? ["sms_segments", smsSegments(smsText(reminder))]
    : reminder.channel === "email"
    ? ["emails", 1]
    : ["push_messages", reminder.push_tokens.length];
  const addressed = reminder.channel === "sms"
    ? reminder.phone
    : reminder.channel === "email"
    ? reminder.email
    : reminder.push_tokens.length > 0;
  if (!addressed || quantity === 0) return Promise.resolve(null);
  return reserveSpend(db, reminder.user_id, unit, quantity, "reminder-engine");
}

async function send(
  env: Env,
  tokens: GoogleTokenSource,
  settings: EngineSettings,
  reminder: ClaimedReminder,
  db: Database,
  stopAt: number,
): Promise<Sent> {
  const timeoutMs = settings.providerTimeoutMs;
  switch (reminder.channel) {
    case "email": {
      if (!reminder.email) throw new ChannelFailure("the user has no confirmed e-mail address", false);
      const from = envString(env, "REMINDER_EMAIL_FROM");
      if (!from) throw new ChannelFailure("e-mail is not configured: set REMINDER_EMAIL_FROM", true);
      const { subject, text } = emailText(reminder);
      const idempotencyKey = `reminder-${reminder.id}-${reminder.remind_at.getTime()}`;
      return await sendEmail(env, { from, to: reminder.email, subject, text, idempotencyKey }, timeoutMs);
    }
    case "sms":
      if (!reminder.phone) throw new ChannelFailure("the user has no confirmed phone number", false);
      return await sendSms(env, reminder.phone, smsText(reminder), timeoutMs);
    case "push": {
      const { title, body } = pushText(reminder);
      const data = { reminder_id: reminder.id, ...(reminder.document_id ? { document_id: reminder.document_id } : {}) };
      const message = { tokens: reminder.push_tokens, title, body, data };
      const sent = await sendPush(env, tokens, message, timeoutMs, stopAt);
      await removePushTokens(db, reminder.user_id, sent.staleTokens);
      return sent;
    }
  }
}
