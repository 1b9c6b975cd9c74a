-- Alerts that arrive. monitor_system_health() raises its alerts with pg_notify('system_alert', ...), which
-- no process listens to. Each scheduled run now goes through private.record_system_alerts(), which keeps the
-- alerts it returns in private.system_alerts; the health-check function reports them (status degraded),
-- and the stack's Route53 health check, which matches "status":"healthy", alarms to the alerts topic.
-- private.monitor_system_health() itself is unchanged: what it checks may change without touching the delivery.

create table if not exists private.system_alerts (
  id bigint generated always as identity primary key,
  alert_type text not null check (alert_type ~ '^[a-z][a-z0-9_]{0,62}$'),
  details jsonb not null default '{}'::jsonb check (octet_length(details::text) <= 4096),
  raised_at timestamptz not null default now()
);
create index if not exists system_alerts_raised_at on private.system_alerts (raised_at desc);
-- Not reachable through the Data API (private is not exposed), and closed to API roles all the same.
alter table private.system_alerts enable row level security;
revoke all on table private.system_alerts from public, anon, authenticated;

-- An alert counts as active while a run raised it within this window: three runs of the five-minute
-- schedule, so one missed run does not clear it and a fixed problem clears within a quarter hour.
create or replace function private.active_system_alerts(p_window interval default interval '15 minutes')
returns table (alert_type text, last_raised_at timestamptz, occurrences bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select a.alert_type, max(a.raised_at), count(*)
  from private.system_alerts a
  where a.raised_at > now() - p_window
  group by a.alert_type
  order by a.alert_type
$$;
revoke all on function private.active_system_alerts(interval) from public, anon, authenticated;
grant execute on function private.active_system_alerts(interval) to service_role;

-- One run of the monitor: its alerts are kept (and still notified, by the monitor itself); rows older
-- than 30 days go, so the table stays bounded whatever the monitor raises.
create or replace function private.record_system_alerts()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_alerts jsonb := private.monitor_system_health();
begin
  insert into private.system_alerts (alert_type, details)
  select coalesce(nullif(a.value ->> 'type', ''), 'unknown_alert'), a.value - 'type'
  from jsonb_array_elements(coalesce(v_alerts, '[]'::jsonb)) as a(value);
  delete from private.system_alerts where raised_at < now() - interval '30 days';
  return v_alerts;
end
$$;
revoke all on function private.record_system_alerts() from public, anon, authenticated;
grant execute on function private.record_system_alerts() to service_role;

-- The schedule now records what the monitor raises (cron.schedule with the same job name replaces it).
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $cron$select cron.schedule('system-health-check', '*/5 * * * *',
                                       'select private.record_system_alerts()')$cron$;
  end if;
end
$$;
