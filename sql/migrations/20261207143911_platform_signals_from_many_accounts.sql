-- Platform-wide alerts that one account could raise (issue 20, class "platform-wide signals"). Every check of
-- private.monitor_system_health() counted rows without asking whose they were, and its alerts make health-check
-- report "degraded", which the Route53 health check turns into an alarm for the operators:
--   high_failure_rate     eleven broken uploads by one free account (each dead-lettered by the processor) failed
--                         eleven documents within the hour;
--   high_storage_usage    the average fill of non-business accounts: on a young platform one account filling its
--                         quota moved it past 90 %;
--   ai_service_degraded   51 replies without a model, all provoked by one account's requests.
-- A platform problem is one many accounts see. Each check now also needs a number of distinct accounts
-- (private.health_signal_thresholds, data the backend owns), and still counts only rows the backend wrote:
-- documents.status and assistant messages are written by service_role only (see 20261201100200), and
-- storage_used is the trigger's sum of stored objects (20261201200000).
-- Idempotent like every migration here: running it again changes nothing.

create table if not exists private.health_signal_thresholds (
  alert_type text primary key check (alert_type ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- The alert is raised when the count passes min_count ...
  min_count integer not null check (min_count >= 0),
  -- ... and at least this many accounts contribute to it.
  min_accounts integer not null check (min_accounts >= 2),
  description text not null
);
revoke all on private.health_signal_thresholds from public, anon, authenticated;
grant select on private.health_signal_thresholds to service_role;

insert into private.health_signal_thresholds (alert_type, min_count, min_accounts, description) values
  ('high_failure_rate', 10, 3, 'documents failed in the last hour'),
  ('high_storage_usage', 90, 5, 'average fill (percent) of non-business accounts; accounts counted are >= 90 % full'),
  ('ai_service_degraded', 50, 3, 'assistant replies without a model in the last hour')
on conflict (alert_type) do nothing;

create or replace function private.monitor_system_health()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_alerts jsonb := '[]'::jsonb;
  v_alert jsonb;
  v_count integer;
  v_accounts integer;
  v_avg_usage double precision;
  v_threshold private.health_signal_thresholds;
begin
  select * into v_threshold from private.health_signal_thresholds where alert_type = 'high_failure_rate';
  select count(*), count(distinct user_id) into v_count, v_accounts
  from public.documents
  where status = 'failed' and created_at > now() - interval '1 hour';
  if v_count > v_threshold.min_count and v_accounts >= v_threshold.min_accounts then
    v_alert := jsonb_build_object('type', 'high_failure_rate', 'message', 'High number of document processing failures',
                                  'count', v_count, 'accounts', v_accounts);
    v_alerts := v_alerts || jsonb_build_array(v_alert);
  end if;

  select * into v_threshold from private.health_signal_thresholds where alert_type = 'high_storage_usage';
  select avg(storage_used::double precision / nullif(storage_limit, 0)),
         count(*) filter (where storage_used::double precision >= 0.9 * storage_limit)
    into v_avg_usage, v_accounts
  from public.profiles
  where subscription_tier <> 'business';
  if v_avg_usage * 100 > v_threshold.min_count and v_accounts >= v_threshold.min_accounts then
    v_alert := jsonb_build_object('type', 'high_storage_usage', 'message', 'Users approaching storage limits',
                                  'avg_usage_percent', round((v_avg_usage * 100)::numeric, 2),
                                  'accounts', v_accounts);
    v_alerts := v_alerts || jsonb_build_array(v_alert);
  end if;

  select * into v_threshold from private.health_signal_thresholds where alert_type = 'ai_service_degraded';
  select count(*), count(distinct user_id) into v_count, v_accounts
  from public.messages
  where created_at > now() - interval '1 hour' and created_at <= now()
    and role = 'assistant' and ai_model is null;
  if v_count > v_threshold.min_count and v_accounts >= v_threshold.min_accounts then
    v_alert := jsonb_build_object('type', 'ai_service_degraded', 'message', 'AI service appears to be degraded',
                                  'count', v_count, 'accounts', v_accounts);
    v_alerts := v_alerts || jsonb_build_array(v_alert);
  end if;

  for v_alert in select value from jsonb_array_elements(v_alerts) loop
    perform pg_notify('system_alert', v_alert::text);
  end loop;
  return v_alerts;
end
$$;
revoke all on function private.monitor_system_health() from public, anon, authenticated;
grant execute on function private.monitor_system_health() to service_role;
