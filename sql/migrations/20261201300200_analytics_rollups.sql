-- analytics-engine's daily rollups into analytics_data. One day's rollup replaces that day's rolled-up rows
-- (delete then insert, under a per-day advisory lock), so a rerun or two overlapping runs leave one row per
-- user, metric, day and dimensions; the unique index makes that a fact of the data, not of the code.
--
-- Metrics (metric_type, dimensions):
--   events             {"event_type": ...}  analytics_events of the day
--   documents_uploaded {"mime_type": ...}   documents created that day (still in the vault)
--   storage_bytes      {}                   bytes of the user's documents at the end of the day

create unique index if not exists idx_analytics_data_one_per_day
  on public.analytics_data (user_id, metric_type, date_recorded, dimensions);

create or replace function private.rollup_analytics_day(p_day date)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_from timestamptz := p_day::timestamptz;
  v_to timestamptz := (p_day + 1)::timestamptz;
  v_rows integer;
  v_count integer;
begin
  if p_day is null or p_day > current_date then
    raise exception 'cannot roll up %: the day has not begun', coalesce(p_day::text, 'null') using errcode = '22023';
  end if;
  perform pg_advisory_xact_lock(hashtext('analytics_rollup'), p_day - date '2000-01-01');
  delete from public.analytics_data
  where date_recorded = p_day and metric_type in ('events', 'documents_uploaded', 'storage_bytes');

  insert into public.analytics_data (user_id, metric_type, metric_value, dimensions, date_recorded)
  select e.user_id, 'events', count(*), jsonb_build_object('event_type', e.event_type), p_day
  from public.analytics_events e
  where e.user_id is not null and e.created_at >= v_from and e.created_at < v_to
  group by e.user_id, e.event_type;
  get diagnostics v_rows = row_count;

  insert into public.analytics_data (user_id, metric_type, metric_value, dimensions, date_recorded)
  select d.user_id, 'documents_uploaded', count(*),
         jsonb_build_object('mime_type', coalesce(d.mime_type, 'unknown')), p_day
  from public.documents d
  where d.created_at >= v_from and d.created_at < v_to
  group by d.user_id, coalesce(d.mime_type, 'unknown');
  get diagnostics v_count = row_count;
  v_rows := v_rows + v_count;

  insert into public.analytics_data (user_id, metric_type, metric_value, dimensions, date_recorded)
  select d.user_id, 'storage_bytes', sum(d.file_size), '{}'::jsonb, p_day
  from public.documents d
  where d.created_at < v_to
  group by d.user_id;
  get diagnostics v_count = row_count;
  return v_rows + v_count;
end
$$;
revoke all on function private.rollup_analytics_day(date) from public, anon, authenticated;
grant execute on function private.rollup_analytics_day(date) to service_role;

-- The engine creates the coming years' partitions on every run; pg_cron's monthly job stays as a second line.
grant execute on function private.ensure_analytics_data_partitions(integer, integer) to service_role;
