/**
 * A verified event, recorded once and applied in the same transaction (as service_role: users cannot write
 * subscriptions or payments): public.record_webhook_event says whether it is new, then the subscription change
 * goes through private.apply_subscription_event (newest event wins, canceled is final), the payment is
 * upserted by its provider id, and a refund or dispute goes through private.reverse_subscription_payment. A replay changes nothing. When applying fails, everything of that attempt rolls
 * back and the event is marked `failed` on its own, so the provider's retry applies it again, once.
 */
import { type Database, jsonb, type Tx } from "../_shared/db.ts";
import type { PaymentRecord, PaymentReversal, ProviderEvent, SubscriptionChange } from "./events.ts";

export interface ApplyResult {
  outcome: "processed" | "duplicate" | "ignored";
  /** The subscription's status after the event (null when the event named one that is not ours). */
  subscriptionStatus?: string | null;
  note?: string;
}

export async function recordAndApply(db: Database, event: ProviderEvent): Promise<ApplyResult> {
  try {
    return await db.asServiceRole(async (tx) => {
      const [{ fresh }] = await tx`
        select public.record_webhook_event(${event.provider}, ${event.id}, ${event.type},
                                           ${jsonb(tx, event.payload)}) as fresh`;
      if (!fresh) return { outcome: "duplicate" };
      let note = event.ignored;
      let subscriptionStatus: string | null | undefined;
      if (event.subscription) {
        subscriptionStatus = await applySubscription(tx, event, event.subscription);
        if (subscriptionStatus === null) note ??= `subscription ${event.subscription.subscriptionId} is not ours`;
      }
      if (event.payment && !await recordPayment(tx, event, event.payment)) {
        note ??= `payment ${event.payment.paymentId} belongs to no user we know`;
      }
      if (event.reversal && await reverse(tx, event, event.reversal) === 0) {
        note ??= `the ${event.reversal.outcome} payment pays for no subscription of ours that it could end`;
      }
      await tx`
        update public.webhook_events
        set status = 'processed', processed_at = now(), error = ${note ?? null}
        where provider = ${event.provider} and event_id = ${event.id}`;
      return { outcome: note ? "ignored" : "processed", subscriptionStatus, note };
    });
  } catch (error) {
    await markFailed(db, event, error);
    throw error;
  }
}

async function applySubscription(tx: Tx, event: ProviderEvent, change: SubscriptionChange): Promise<string | null> {
  const [row] = await tx`
    select private.apply_subscription_event(
      ${event.provider}, ${change.subscriptionId}, ${change.userId}::uuid, ${change.tier}, ${change.status},
      ${event.occurredAt}, ${change.customer ?? null}, ${change.periodStart ?? null}::timestamptz,
      ${change.periodEnd ?? null}::timestamptz, ${change.paidUntil ?? null}::timestamptz) as status`;
  return row.status;
}

/** How many subscriptions the reversal took the tier from (private.reverse_subscription_payment). */
async function reverse(tx: Tx, event: ProviderEvent, reversal: PaymentReversal): Promise<number> {
  const [row] = await tx`
    select private.reverse_subscription_payment(${event.provider}, ${reversal.paymentId}, ${reversal.customer},
                                                ${event.occurredAt}, ${reversal.outcome}) as count`;
  return row.count;
}

/** False when nobody owns the payment (no user in the event, no stored subscription). */
async function recordPayment(tx: Tx, event: ProviderEvent, payment: PaymentRecord): Promise<boolean> {
  const rows = await tx`
    insert into public.payments (user_id, subscription_id, provider, provider_payment_id, amount_cents, currency,
                                 status, description, paid_at)
    select coalesce(${payment.userId}::uuid, s.user_id), s.id, ${event.provider}, ${payment.paymentId},
           ${payment.amountCents}, ${payment.currency}, ${payment.status}, ${payment.description ?? null},
           ${payment.paidAt}::timestamptz
    from (select 1) as one
    left join public.subscriptions s
      on s.provider = ${event.provider} and s.provider_subscription_id = ${payment.subscriptionId}
    where coalesce(${payment.userId}::uuid, s.user_id) is not null
    on conflict (provider, provider_payment_id) do update
      -- A retried invoice that failed and then succeeded ends succeeded, whatever order the events came in; a
      -- refund or dispute stays recorded whatever arrives after it.
      set status = case when payments.status in ('succeeded', 'refunded', 'disputed') then payments.status
                        else excluded.status end,
          paid_at = coalesce(payments.paid_at, excluded.paid_at),
          subscription_id = coalesce(payments.subscription_id, excluded.subscription_id)
    returning id`;
  return rows.length > 0;
}

async function markFailed(db: Database, event: ProviderEvent, error: unknown): Promise<void> {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  try {
    await db.asServiceRole((tx) =>
      tx`
        insert into public.webhook_events (provider, event_id, event_type, payload, status, attempts, error)
        values (${event.provider}, ${event.id}, ${event.type}, ${jsonb(tx, event.payload)}, 'failed', 1, ${message})
        on conflict (provider, event_id) do update
          set status = 'failed', attempts = webhook_events.attempts + 1, error = excluded.error
          where webhook_events.status <> 'processed'`
    );
  } catch {
    // The database is what failed; the provider's retry will find no row and start afresh.
  }
}
