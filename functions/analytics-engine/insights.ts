/**
 * A user's insights, read as the user (row-level security applies) and filtered to their own rows: documents
 * shared with them belong to someone else's storage and are left out.
 *
 *   storage            {used_bytes, limit_bytes, tier, over_time: [{date, bytes}]}   (the daily rollups)
 *   documents_by_type  [{mime_type, documents, bytes}]                               (now)
 *   expiring_documents [{id, title, expires_on, days_left}]                          (within the window, soonest first)
 *   events             [{event_type, count}]                                         (rolled up over `days`)
 */
import type { Tx } from "../_shared/db.ts";
import type { InsightsRequest } from "./request.ts";

const MAX_EXPIRING = 100;

export async function insights(tx: Tx, userId: string, request: InsightsRequest) {
  const [profile] = await tx`
    select storage_used, storage_limit, subscription_tier from public.profiles where id = ${userId}`;
  const overTime = await tx`
    select to_char(date_recorded, 'YYYY-MM-DD') as date, metric_value::bigint as bytes
    from public.analytics_data
    where user_id = ${userId} and metric_type = 'storage_bytes'
      and date_recorded > current_date - ${request.days}::integer
    order by date_recorded`;
  const byType = await tx`
    select coalesce(mime_type, 'unknown') as mime_type, count(*)::integer as documents,
           coalesce(sum(file_size), 0)::bigint as bytes
    from public.documents where user_id = ${userId}
    group by 1 order by documents desc, mime_type`;
  const expiring = await tx`
    select id, title, to_char(expires_on, 'YYYY-MM-DD') as expires_on, (expires_on - current_date) as days_left
    from public.documents
    where user_id = ${userId} and expires_on between current_date and current_date + ${request.expiring_within_days}::integer
    order by expires_on, title limit ${MAX_EXPIRING}`;
  const events = await tx`
    select dimensions ->> 'event_type' as event_type, sum(metric_value)::integer as count
    from public.analytics_data
    where user_id = ${userId} and metric_type = 'events' and date_recorded > current_date - ${request.days}::integer
    group by 1 order by count desc, event_type`;
  return {
    period_days: request.days,
    storage: {
      used_bytes: Number(profile?.storage_used ?? 0),
      limit_bytes: Number(profile?.storage_limit ?? 0),
      tier: profile?.subscription_tier ?? null,
      over_time: overTime.map((row) => ({ date: row.date, bytes: Number(row.bytes) })),
    },
    documents_by_type: byType.map((row) => ({ ...row, bytes: Number(row.bytes) })),
    expiring_documents: expiring,
    events,
  };
}
