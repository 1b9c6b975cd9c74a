-- The rate limit, moved out of the API's schema and limited to known actions (issue 14, holes 6 and 8).
--
-- Hole 8: public.check_rate_limit was security definer in public, so any signed-in user could call it at
-- /rest/v1/rpc/check_rate_limit (Supabase's Security Advisor warns on this). It is now private.check_rate_limit:
-- private is not exposed by the Data API; the edge functions reach it over SQL as the caller, and authenticated
-- keeps EXECUTE (a user may still spend only their own budget).
-- Hole 6: the budget is per action, and the action was free text, so calling it with 'made-up-1' ...
-- 'made-up-1000' wrote 1000 usage rows. The actions are now data, private.rate_limit_actions; an unknown one is
-- refused before anything is written. A new edge function adds its name there in its own migration.
-- Idempotent like every migration here: running it again changes nothing.

create table if not exists private.rate_limit_actions (
  action text primary key check (action ~ '^[a-z0-9][a-z0-9-]{0,99}$'),
  description text not null
);
revoke all on private.rate_limit_actions from public, anon, authenticated;

-- The edge functions of both guides (000: assistant, 002: DocuVault), by the names they are deployed under.
insert into private.rate_limit_actions (action, description) values
  ('health-check', 'guide 000: health check'),
  ('ai-chat-message', 'guide 000: a message to the AI assistant'),
  ('create-support-ticket', 'guide 000: a support ticket'),
  ('execute-automation', 'guide 000: one run of an automation workflow'),
  ('document-upload', 'guide 002: a document upload'),
  ('document-processor', 'guide 002: document processing (text, summary, embeddings)'),
  ('search-engine', 'guide 002: a vault search'),
  ('ai-chat', 'guide 002: a chat about vault documents'),
  ('translation-service', 'guide 002: a translation'),
  ('family-vault', 'guide 002: family vault sharing'),
  ('reminder-engine', 'guide 002: reminders'),
  ('analytics-engine', 'guide 002: analytics'),
  ('professional-marketplace', 'guide 002: the professional marketplace'),
  ('subscription-manager', 'guide 002: subscriptions and payments')
on conflict (action) do nothing;

create or replace function private.check_rate_limit(p_user uuid, p_action text)
returns table (
  allowed boolean,
  tier text,
  hourly_limit integer,
  used integer,
  remaining integer,
  retry_after_seconds integer
)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_tier text;
  v_limit integer;
  v_used integer;
  v_oldest timestamptz;
begin
  if p_user is null or p_action is null or length(trim(p_action)) = 0 then
    raise exception 'check_rate_limit needs a user id and an action name (e.g. ''ai-chat-message'')'
      using errcode = '22004';
  end if;
  -- A signed-in user may spend only their own budget; the backend (service_role, or a direct database
  -- session such as a cron job) may check anyone's.
  if current_setting('role', true) in ('anon', 'authenticated')
     and coalesce(auth.role(), '') <> 'service_role'
     and p_user is distinct from auth.uid() then
    raise exception 'check_rate_limit: a user may only check their own rate limit; pass auth.uid() as p_user'
      using errcode = '42501';
  end if;
  -- Only known actions: each has its own budget, so free-form names would each open a new one (and a row).
  if not exists (select 1 from private.rate_limit_actions a where a.action = p_action) then
    raise exception 'check_rate_limit: unknown action "%"', left(p_action, 100)
      using errcode = '22023',
            hint = 'use the edge function''s name; a new function adds it to private.rate_limit_actions in a migration';
  end if;

  select p.subscription_tier, t.hourly_request_limit
    into v_tier, v_limit
  from public.profiles p
  join public.subscription_tiers t on t.tier = p.subscription_tier
  where p.id = p_user;
  if not found then
    raise exception 'check_rate_limit: user % has no profile; profiles are created when the user signs up', p_user
      using errcode = 'P0002';
  end if;

  -- Concurrent calls for the same user and action queue here, so two requests cannot both take the last slot.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(p_user::text || '/' || p_action, 0));

  select count(*)::integer, min(u.created_at)
    into v_used, v_oldest
  from public.usage_metrics u
  where u.user_id = p_user
    and u.action = p_action
    and u.metric_type = 'request'
    and u.created_at > pg_catalog.clock_timestamp() - interval '1 hour';

  if v_used >= v_limit then
    return query select
      false, v_tier, v_limit, v_used, 0,
      greatest(1, ceil(extract(epoch from (v_oldest + interval '1 hour' - pg_catalog.clock_timestamp())))::integer);
    return;
  end if;

  insert into public.usage_metrics (user_id, action, metric_type, quantity, created_at)
  values (p_user, p_action, 'request', 1, pg_catalog.clock_timestamp());

  return query select true, v_tier, v_limit, v_used + 1, v_limit - v_used - 1, 0;
end
$$;
revoke all on function private.check_rate_limit(uuid, text) from public, anon;
grant execute on function private.check_rate_limit(uuid, text) to authenticated, service_role;

drop function if exists public.check_rate_limit(uuid, text);
