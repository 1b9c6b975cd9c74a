-- Assistant replies are the backend's (issue 14, hole 5). Before this, a user could insert 51 messages with
-- role 'assistant', no ai_model and created_at '2999-01-01', and monitor_system_health reported
-- ai_service_degraded on every run. Now:
--   * users write only role 'user' messages, and edit only those; replies, system and tool messages are written
--     by the backend (service_role, as the edge functions do for the reply);
--   * a message's created_at is the server's clock when a user writes it, and never changes on a user's update;
--   * the monitor counts replies of the past hour only (never a future time), and lives in private
--     (hole 8: a security definer function does not belong in the API's schema).
-- Idempotent like every migration here: running it again changes nothing.

-- ---------------------------------------------------------------- who writes which message
drop policy if exists "Users write messages into their own conversations" on public.messages;
create policy "Users write messages into their own conversations" on public.messages
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and role = 'user'
    and exists (select 1 from public.conversations c where c.id = conversation_id and c.user_id = (select auth.uid()))
    -- A cited document must be one the user can read (their own or shared with them), so another user's
    -- document id is refused like one that does not exist (issue 14, item 16).
    and (document_id is null or exists (select 1 from public.documents d where d.id = document_id))
  );
drop policy if exists "Users edit their own messages" on public.messages;
create policy "Users edit their own messages" on public.messages
  for update to authenticated
  using (user_id = (select auth.uid()) and role = 'user')
  with check (
    user_id = (select auth.uid())
    and role = 'user'
    and exists (select 1 from public.conversations c where c.id = conversation_id and c.user_id = (select auth.uid()))
    and (document_id is null or exists (select 1 from public.documents d where d.id = document_id))
  );

-- The time of a message written through the API is the server's: a user cannot date a message into the past
-- (to reorder a history) or the future (to stay in the monitor's window forever). Backend writes (service_role,
-- restores, migrations) keep the times they give.
create or replace function private.stamp_message_time()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('anon', 'authenticated') then
    if tg_op = 'INSERT' then
      new.created_at := pg_catalog.clock_timestamp();
    else
      new.created_at := old.created_at;
    end if;
  end if;
  return new;
end
$$;
revoke all on function private.stamp_message_time() from public, anon, authenticated;

create or replace trigger messages_stamp_time
  before insert or update on public.messages
  for each row execute function private.stamp_message_time();

-- ---------------------------------------------------------------- the health check, out of the API
-- Guide 002's three checks, as before, with the degraded-AI count bounded to the past hour on both sides:
-- rows dated in the future (written before this migration) never count.
create or replace function private.monitor_system_health()
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
  where created_at > now() - interval '1 hour' and created_at <= now()
    and role = 'assistant' and ai_model is null;
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
revoke all on function private.monitor_system_health() from public, anon, authenticated;
grant execute on function private.monitor_system_health() to service_role;

drop function if exists public.monitor_system_health();

-- The schedule names the new function (cron.schedule with a job name replaces that job).
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $cron$select cron.schedule('system-health-check', '*/5 * * * *',
                                       'select private.monitor_system_health()')$cron$;
  end if;
end
$$;
