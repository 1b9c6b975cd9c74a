-- Operations: function performance metrics, the audit log (guide 000, appendix C), the vault's analytics
-- data partitioned by date, and the scheduled health check (guide 002).

-- ---------------------------------------------------------------- performance_metrics
-- Written by edge functions with the service role (guide 002's monitoring snippet). Backend only.
create table if not exists public.performance_metrics (
  id uuid primary key default gen_random_uuid(),
  function_name text not null,
  execution_time_ms integer not null check (execution_time_ms >= 0),
  memory_used_mb double precision,
  heap_used_mb double precision,
  success boolean not null default true,
  user_tier text,
  metadata jsonb not null default '{}'::jsonb,
  -- Named as the guide's functions send it.
  "timestamp" timestamptz not null default now()
);
create index if not exists idx_performance_metrics_function_time
  on public.performance_metrics (function_name, "timestamp" desc);

alter table public.performance_metrics enable row level security;
revoke all on table public.performance_metrics from public, anon, authenticated;
grant all on table public.performance_metrics to service_role;
-- Backend only: closed to anon and authenticated (no grant, no policy for them); the service role's
-- policies state the intent (it bypasses RLS anyway).
drop policy if exists "Only the backend reads performance_metrics" on public.performance_metrics;
create policy "Only the backend reads performance_metrics" on public.performance_metrics
  for select to service_role using (true);
drop policy if exists "Only the backend writes performance_metrics" on public.performance_metrics;
create policy "Only the backend writes performance_metrics" on public.performance_metrics
  for insert to service_role with check (true);
drop policy if exists "Only the backend updates performance_metrics" on public.performance_metrics;
create policy "Only the backend updates performance_metrics" on public.performance_metrics
  for update to service_role using (true) with check (true);
drop policy if exists "Only the backend deletes performance_metrics" on public.performance_metrics;
create policy "Only the backend deletes performance_metrics" on public.performance_metrics
  for delete to service_role using (true);

-- ---------------------------------------------------------------- audit_log
create table if not exists public.audit_log (
  id uuid primary key default gen_random_uuid(),
  -- Who acted (the JWT's user), null for the backend and for direct database sessions.
  user_id uuid,
  action text not null,
  table_name text not null,
  record_id text,
  old_data jsonb,
  new_data jsonb,
  created_at timestamptz not null default now()
);
create index if not exists idx_audit_log_table_time on public.audit_log (table_name, created_at desc);
create index if not exists idx_audit_log_user_time on public.audit_log (user_id, created_at desc);

alter table public.audit_log enable row level security;
revoke all on table public.audit_log from public, anon, authenticated;
grant all on table public.audit_log to service_role;
-- Backend only: closed to anon and authenticated (no grant, no policy for them); the service role's
-- policies state the intent (it bypasses RLS anyway).
drop policy if exists "Only the backend reads audit_log" on public.audit_log;
create policy "Only the backend reads audit_log" on public.audit_log
  for select to service_role using (true);
drop policy if exists "Only the backend writes audit_log" on public.audit_log;
create policy "Only the backend writes audit_log" on public.audit_log
  for insert to service_role with check (true);
drop policy if exists "Only the backend updates audit_log" on public.audit_log;
create policy "Only the backend updates audit_log" on public.audit_log
  for update to service_role using (true) with check (true);
drop policy if exists "Only the backend deletes audit_log" on public.audit_log;
create policy "Only the backend deletes audit_log" on public.audit_log
  for delete to service_role using (true);

create or replace function private.audit_row_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  v_new jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
begin
  insert into public.audit_log (user_id, action, table_name, record_id, old_data, new_data)
  values (
    auth.uid(),
    tg_op,
    tg_table_name,
    coalesce(v_new ->> 'id', v_old ->> 'id'),
    v_old,
    v_new
  );
  return null;
end
$$;
revoke all on function private.audit_row_change() from public, anon, authenticated;

-- What changes who may see or pay for what: sharing, membership, billing, tiers and limits, deletions.
create or replace trigger audit_family_members
  after insert or update or delete on public.family_members
  for each row execute function private.audit_row_change();
create or replace trigger audit_family_vault_documents
  after insert or delete on public.family_vault_documents
  for each row execute function private.audit_row_change();
create or replace trigger audit_project_team
  after insert or update or delete on public.project_team
  for each row execute function private.audit_row_change();
create or replace trigger audit_subscriptions
  after insert or update or delete on public.subscriptions
  for each row execute function private.audit_row_change();
create or replace trigger audit_payments
  after insert or update or delete on public.payments
  for each row execute function private.audit_row_change();
create or replace trigger audit_profiles_entitlements
  after update of subscription_tier, storage_limit on public.profiles
  for each row execute function private.audit_row_change();
create or replace trigger audit_documents_deleted
  after delete on public.documents
  for each row execute function private.audit_row_change();

-- ---------------------------------------------------------------- analytics_data (partitioned)
-- The vault's analytics (guide 002's analytics-engine), one row per user, metric and day, partitioned by
-- year of date_recorded as the guide does (analytics_data_2024 ...). Partitions live in schema partitions,
-- out of the API's reach: rows are read through this parent, where its policies apply.
create table if not exists public.analytics_data (
  id uuid not null default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  metric_type text not null check (length(metric_type) between 1 and 100),
  metric_value double precision not null,
  dimensions jsonb not null default '{}'::jsonb,
  date_recorded date not null default current_date,
  created_at timestamptz not null default now(),
  primary key (id, date_recorded)
) partition by range (date_recorded);
-- Guide 002's composite index; created on the parent, so every partition gets it.
create index if not exists idx_analytics_composite on public.analytics_data (user_id, metric_type, date_recorded);

-- Rows outside every yearly partition land here rather than failing the insert.
create table if not exists partitions.analytics_data_default partition of public.analytics_data default;

-- Creates the yearly partitions from p_from_year to p_years_ahead years after the current one. Rows already
-- in the default partition for a new year are moved into it, so the partition can be attached.
create or replace function private.ensure_analytics_data_partitions(
  p_years_ahead integer default 1,
  p_from_year integer default null
)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_year integer;
  v_created integer := 0;
  v_name text;
  v_lo date;
  v_hi date;
begin
  for v_year in
    coalesce(p_from_year, extract(year from now())::integer) .. extract(year from now())::integer + p_years_ahead
  loop
    v_name := 'analytics_data_' || v_year;
    continue when to_regclass('partitions.' || v_name) is not null;
    v_lo := make_date(v_year, 1, 1);
    v_hi := make_date(v_year + 1, 1, 1);
    execute format('create table partitions.%I (like public.analytics_data including defaults including constraints)',
                   v_name);
    execute format('with moved as (delete from partitions.analytics_data_default where date_recorded >= %L and '
                   'date_recorded < %L returning *) insert into partitions.%I select * from moved', v_lo, v_hi, v_name);
    execute format('alter table public.analytics_data attach partition partitions.%I for values from (%L) to (%L)',
                   v_name, v_lo, v_hi);
    -- Unreachable except through the parent anyway; RLS on the partition too, in case of a stray grant.
    execute format('alter table partitions.%I enable row level security', v_name);
    v_created := v_created + 1;
  end loop;
  return v_created;
end
$$;
revoke all on function private.ensure_analytics_data_partitions(integer, integer) from public, anon, authenticated;
grant execute on function private.ensure_analytics_data_partitions(integer, integer) to service_role;

alter table partitions.analytics_data_default enable row level security;
-- 2024 is the guide's first partition; one year ahead is always ready.
select private.ensure_analytics_data_partitions(1, 2024);

alter table public.analytics_data enable row level security;
revoke all on table public.analytics_data from public, anon, authenticated;
grant select on table public.analytics_data to authenticated;
grant all on table public.analytics_data to service_role;

drop policy if exists "Users read their own analytics" on public.analytics_data;
create policy "Users read their own analytics" on public.analytics_data
  for select to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- monitor_system_health
-- Guide 002's checks on this schema: the vault's users are profiles, its chat is messages (an assistant
-- reply without ai_model is one the AI service failed to produce). Each alert is sent with pg_notify on
-- channel system_alert, as in the guide, and returned, so callers and tests see what fired.
create or replace function public.monitor_system_health()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_alerts jsonb := '[]'::jsonb;
  v_alert jsonb;
  v_failed integer;
  v_avg_usage double precision;
  v_degraded integer;
begin
  select count(*) into v_failed
  from public.documents
  where status = 'failed' and created_at > now() - interval '1 hour';
  if v_failed > 10 then
    v_alert := jsonb_build_object('type', 'high_failure_rate',
                                  'message', 'High number of document processing failures', 'count', v_failed);
    v_alerts := v_alerts || jsonb_build_array(v_alert);
  end if;

  select avg(storage_used::double precision / storage_limit) into v_avg_usage
  from public.profiles
  where subscription_tier <> 'business';
  if v_avg_usage > 0.9 then
    v_alert := jsonb_build_object('type', 'high_storage_usage', 'message', 'Users approaching storage limits',
                                  'avg_usage_percent', round((v_avg_usage * 100)::numeric, 2));
    v_alerts := v_alerts || jsonb_build_array(v_alert);
  end if;

  select count(*) into v_degraded
  from public.messages
  where created_at > now() - interval '1 hour' and role = 'assistant' and ai_model is null;
  if v_degraded > 50 then
    v_alert := jsonb_build_object('type', 'ai_service_degraded', 'message', 'AI service appears to be degraded',
                                  'count', v_degraded);
    v_alerts := v_alerts || jsonb_build_array(v_alert);
  end if;

  for v_alert in select value from jsonb_array_elements(v_alerts) loop
    perform pg_notify('system_alert', v_alert::text);
  end loop;
  return v_alerts;
end
$$;
revoke all on function public.monitor_system_health() from public, anon, authenticated;
grant execute on function public.monitor_system_health() to service_role;

-- Schedules, where pg_cron exists (Supabase): the health check every 5 minutes, next year's analytics
-- partition each month. cron.schedule with a job name replaces that job, so this is safe to re-run.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $cron$select cron.schedule('system-health-check', '*/5 * * * *',
                                       'select public.monitor_system_health()')$cron$;
    execute $cron$select cron.schedule('analytics-data-partitions', '0 3 1 * *',
                                       'select private.ensure_analytics_data_partitions(1)')$cron$;
  end if;
end
$$;
