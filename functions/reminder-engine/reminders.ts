/**
 * The reminders' delivery state in the database (sql/migrations/20261201300100), all as service_role: the engine
 * is the backend. Each occurrence is claimed by private.claim_due_reminders (FOR UPDATE SKIP LOCKED and a lease),
 * and every later write names the claim, so a run whose lease ran out cannot overwrite what another run did.
 */
import type { Database, Tx } from "../_shared/db.ts";

export interface ClaimedReminder {
  id: string;
  user_id: string;
  title: string;
  description: string | null;
  remind_at: Date;
  recurrence: "none" | "daily" | "weekly" | "monthly" | "yearly";
  channel: "push" | "email" | "sms";
  document_id: string | null;
  document_title: string | null;
  attempt: number;
  claim_id: string;
  email: string | null;
  phone: string | null;
  push_tokens: string[];
}

export interface ClaimSettings {
  batchSize: number;
  leaseSeconds: number;
  smsDailyLimit: number;
  emailDailyLimit: number;
}

export async function claimDue(db: Database, settings: ClaimSettings): Promise<ClaimedReminder[]> {
  return await db.asServiceRole((tx) =>
    tx<ClaimedReminder[]>`
      select * from private.claim_due_reminders(
        ${settings.batchSize}::integer, ${settings.leaseSeconds}::integer, ${settings.smsDailyLimit}::integer,
        ${settings.emailDailyLimit}::integer)`
  );
}

/**
 * Sent: the delivery row (replacing a `failed` one when an operator sent a given-up occurrence again, never a
 * `sent` one), then the next occurrence (recurring) or done. False when the claim was lost.
 */
export async function markSent(
  db: Database,
  reminder: ClaimedReminder,
  provider: string,
  messageId: string | null,
): Promise<boolean> {
  return await db.asServiceRole(async (tx) => {
    if (!await stillClaimed(tx, reminder)) return false;
    await tx`
      insert into public.reminder_deliveries
        (reminder_id, user_id, channel, occurrence_at, status, provider, provider_message_id, attempts)
      values (${reminder.id}, ${reminder.user_id}, ${reminder.channel}, ${reminder.remind_at}, 'sent', ${provider},
              ${messageId}, ${reminder.attempt})
      on conflict (reminder_id, occurrence_at) do update
        set status = 'sent', provider = excluded.provider, provider_message_id = excluded.provider_message_id,
            attempts = excluded.attempts, error = null, created_at = now()
        where reminder_deliveries.status = 'failed'`;
    await tx`
      update public.reminders set
        notified_at = now(),
        delivery_status = case when recurrence = 'none' then 'sent' else 'pending' end,
        remind_at = case when recurrence = 'none' then remind_at
                         else private.next_reminder_occurrence(coalesce(series_start, remind_at), recurrence, now()) end,
        series_start = case when recurrence = 'none' then series_start else coalesce(series_start, remind_at) end,
        delivery_attempts = case when recurrence = 'none' then delivery_attempts else 0 end,
        next_attempt_at = null, claim_id = null, claimed_until = null, last_error = null
      where id = ${reminder.id}`;
    return true;
  });
}

/** Another try later (after `retryInSeconds`). */
export async function markRetry(
  db: Database,
  reminder: ClaimedReminder,
  error: string,
  retryInSeconds: number,
): Promise<boolean> {
  return await db.asServiceRole(async (tx) => {
    if (!await stillClaimed(tx, reminder)) return false;
    await tx`
      update public.reminders set
        delivery_status = 'pending', next_attempt_at = now() + make_interval(secs => ${retryInSeconds}),
        claim_id = null, claimed_until = null, last_error = ${error}
      where id = ${reminder.id}`;
    return true;
  });
}

/**
 * Given up on this occurrence: recorded as failed for the user to see (reminder_deliveries, and an analytics
 * event), and the reminder is failed, or, when it recurs, moved on to its next occurrence.
 */
export async function markFailed(db: Database, reminder: ClaimedReminder, error: string): Promise<boolean> {
  return await db.asServiceRole(async (tx) => {
    if (!await stillClaimed(tx, reminder)) return false;
    await tx`
      insert into public.reminder_deliveries
        (reminder_id, user_id, channel, occurrence_at, status, attempts, error)
      values (${reminder.id}, ${reminder.user_id}, ${reminder.channel}, ${reminder.remind_at}, 'failed',
              ${reminder.attempt}, ${error})
      on conflict (reminder_id, occurrence_at) do nothing`;
    await tx`
      insert into public.analytics_events (user_id, event_type, event_data)
      values (${reminder.user_id}, 'reminder_failed',
              ${tx.json({ reminder_id: reminder.id, channel: reminder.channel, error })})`;
    await tx`
      update public.reminders set
        delivery_status = case when recurrence = 'none' then 'failed' else 'pending' end,
        remind_at = case when recurrence = 'none' then remind_at
                         else private.next_reminder_occurrence(coalesce(series_start, remind_at), recurrence, now()) end,
        series_start = case when recurrence = 'none' then series_start else coalesce(series_start, remind_at) end,
        delivery_attempts = case when recurrence = 'none' then delivery_attempts else 0 end,
        next_attempt_at = null, claim_id = null, claimed_until = null, last_error = ${error}
      where id = ${reminder.id}`;
    return true;
  });
}

/**
 * Held back until `until` (the user's daily budget for the channel resets), without using up an attempt: not a
 * failure of the channel, so it is not reported as one.
 */
export async function deferUntil(db: Database, reminder: ClaimedReminder, reason: string, until: Date) {
  return await db.asServiceRole(async (tx) => {
    if (!await stillClaimed(tx, reminder)) return false;
    await tx`
      update public.reminders set
        delivery_status = 'pending', next_attempt_at = ${until}, claim_id = null, claimed_until = null,
        delivery_attempts = greatest(0, delivery_attempts - 1), last_error = ${reason}
      where id = ${reminder.id}`;
    return true;
  });
}

/** A claim this run will not get to (its time budget ran out): handed back untouched for the next run. */
export async function release(db: Database, reminder: ClaimedReminder): Promise<void> {
  await db.asServiceRole((tx) =>
    tx`
      update public.reminders set delivery_status = 'pending', claim_id = null, claimed_until = null,
        delivery_attempts = greatest(0, delivery_attempts - 1)
      where id = ${reminder.id} and claim_id = ${reminder.claim_id}`
  );
}

export async function removePushTokens(db: Database, userId: string, tokens: readonly string[]): Promise<void> {
  if (tokens.length === 0) return;
  await db.asServiceRole((tx) =>
    tx`delete from public.push_devices where user_id = ${userId} and token = any(${tokens as string[]})`
  );
}

async function stillClaimed(tx: Tx, reminder: ClaimedReminder): Promise<boolean> {
  const [row] = await tx`
    select 1 from public.reminders where id = ${reminder.id} and claim_id = ${reminder.claim_id} for update`;
  return row !== undefined;
}
