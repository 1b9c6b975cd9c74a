-- Retention (issue 26, part 4): rows that only matter for a while are removed when their time is up, by a daily
-- pg_cron job (where pg_cron exists; elsewhere `ops retention run` does the same). How long each table keeps its
-- rows is the stack config's `retention` section (Pulumi.yaml documents the defaults); the program writes it into
-- private.retention_policies after the migrations. A null keep_days keeps the rows until their owner deletes them.
-- docs/data.md lists every table with its period.

create table if not exists private.retention_policies (
  table_name text primary key check (table_name in (
    'usage_metrics', 'analytics_events', 'audit_log', 'messages', 'system_alerts', 'webhook_events',
    'performance_metrics', 'analytics_data')),
  keep_days integer check (keep_days is null or keep_days between 1 and 36500),
  updated_at timestamptz not null default now()
);
revoke all on table private.retention_policies from public, anon, authenticated;

-- The defaults, as Pulumi.yaml's `retention` default (the program overwrites them with the stack's values).
insert into private.retention_policies (table_name, keep_days) values
  ('usage_metrics', 90), ('analytics_events', 395), ('audit_log', 730), ('messages', null),
  ('system_alerts', 30), ('webhook_events', 90), ('performance_metrics', 30), ('analytics_data', 1095)
on conflict (table_name) do nothing;

-- Each table's clock: the column that dates a row, and which rows may go at all (a webhook event that was not
-- processed stays until it is, whatever its age: it may still change a subscription).
create or replace function private.retention_rule(p_table text, out p_column text, out p_condition text)
language sql
immutable
set search_path = ''
as $$
  select case p_table
           when 'system_alerts' then 'raised_at'
           when 'webhook_events' then 'received_at'
           when 'performance_metrics' then 'timestamp'
           else 'created_at' end,
         case p_table when 'webhook_events' then 'status = ''processed''' else 'true' end
$$;
revoke all on function private.retention_rule(text) from public, anon, authenticated;

-- One pass: for each policy, rows older than keep_days deleted in batches of p_batch, at most p_max_batches per
-- table (a pass is one transaction: the cap bounds its size, and the rows it locks are old ones no one writes);
-- analytics_data's yearly partitions that lie wholly before the cut are detached and dropped instead of deleted
-- row by row. Returns {table: rows removed, ...}. What a capped pass leaves, the next pass removes.
create or replace function private.enforce_retention(p_batch integer default 5000, p_max_batches integer default 200)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_policy record;
  v_rule record;
  v_cut timestamptz;
  v_removed bigint;
  v_batch bigint;
  v_batches integer;
  v_result jsonb := '{}'::jsonb;
  v_partition record;
  v_table regclass;
begin
  for v_policy in select table_name, keep_days from private.retention_policies where keep_days is not null
                  order by table_name loop
    v_cut := now() - make_interval(days => v_policy.keep_days);
    v_removed := 0;
    if v_policy.table_name = 'analytics_data' then
      -- Whole partitions first: a yearly partition whose upper bound is before the cut.
      for v_partition in
        select c.oid::regclass as part, pg_catalog.pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'public.analytics_data'::regclass
      loop
        if v_partition.bound <> 'DEFAULT'
           and substring(v_partition.bound from 'TO \(''([^'']+)''\)')::date <= v_cut::date then
          execute format('select count(*) from %s', v_partition.part) into v_batch;
          execute format('alter table public.analytics_data detach partition %s', v_partition.part);
          execute format('drop table %s', v_partition.part);
          v_removed := v_removed + v_batch;
        end if;
      end loop;
      delete from public.analytics_data where date_recorded < v_cut::date;
      get diagnostics v_batch = row_count;
      v_removed := v_removed + v_batch;
    else
      v_rule := private.retention_rule(v_policy.table_name);
      v_table := format('%I.%I', case v_policy.table_name when 'system_alerts' then 'private' else 'public' end,
                        v_policy.table_name)::regclass;
      v_batches := 0;
      loop
        execute format('delete from %s where ctid = any (array(select ctid from %s where %I < $1 and %s limit $2))',
                       v_table, v_table, v_rule.p_column, v_rule.p_condition)
          using v_cut, p_batch;
        get diagnostics v_batch = row_count;
        v_removed := v_removed + v_batch;
        v_batches := v_batches + 1;
        exit when v_batch < p_batch or v_batches >= p_max_batches;
      end loop;
    end if;
    v_result := v_result || jsonb_build_object(v_policy.table_name, v_removed);
  end loop;
  insert into private.lifecycle_runs (task, started_at, counts) values ('retention', now(), v_result);
  return v_result;
end
$$;
revoke all on function private.enforce_retention(integer, integer) from public, anon, authenticated;

-- Daily at 03:30 UTC, after the nightly backup has started (02:00 by default), where pg_cron exists.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $cron$select cron.schedule('data-retention', '30 3 * * *', 'select private.enforce_retention()')$cron$;
  end if;
end
$$;
