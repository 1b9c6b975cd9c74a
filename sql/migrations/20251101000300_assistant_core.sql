-- The AI Super Assistant's core (guide 000, section 4.2): chat, model configurations and usage, plus the
-- per-tier hourly rate limit that edge functions call. Chat is one model for the whole platform: the
-- vault's document chat uses the same conversations and messages (see the vault migration).

-- ---------------------------------------------------------------- conversations
create table if not exists public.conversations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  title text,
  model_provider text,
  model_name text,
  is_archived boolean not null default false,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_conversations_user_id on public.conversations (user_id);

create or replace trigger conversations_updated_at
  before update on public.conversations
  for each row execute function private.set_updated_at();

alter table public.conversations enable row level security;
revoke all on table public.conversations from public, anon, authenticated;
grant select, insert, update, delete on table public.conversations to authenticated;
grant all on table public.conversations to service_role;

drop policy if exists "Users read their own conversations" on public.conversations;
create policy "Users read their own conversations" on public.conversations
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own conversations" on public.conversations;
create policy "Users create their own conversations" on public.conversations
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own conversations" on public.conversations;
create policy "Users update their own conversations" on public.conversations
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users delete their own conversations" on public.conversations;
create policy "Users delete their own conversations" on public.conversations
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- messages
create table if not exists public.messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  -- The conversation's owner, repeated here so policies need no join to read a message.
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  role text not null check (role in ('user', 'assistant', 'system', 'tool')),
  content text not null,
  model_provider text,
  -- The model that wrote an assistant message; monitor_system_health counts assistant replies without one.
  ai_model text,
  token_count integer check (token_count >= 0),
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
-- Guide 000, section 4.4.
create index if not exists idx_messages_conversation_id on public.messages (conversation_id);
create index if not exists idx_messages_created_at on public.messages (created_at desc);
create index if not exists idx_messages_user_id on public.messages (user_id);

alter table public.messages enable row level security;
revoke all on table public.messages from public, anon, authenticated;
grant select, insert, update, delete on table public.messages to authenticated;
grant all on table public.messages to service_role;

drop policy if exists "Users read their own messages" on public.messages;
create policy "Users read their own messages" on public.messages
  for select to authenticated using (user_id = (select auth.uid()));
-- A message goes only into a conversation of the same user: user_id alone would let anyone write into
-- someone else's conversation under their own name.
drop policy if exists "Users write messages into their own conversations" on public.messages;
create policy "Users write messages into their own conversations" on public.messages
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and exists (select 1 from public.conversations c where c.id = conversation_id and c.user_id = (select auth.uid()))
  );
drop policy if exists "Users edit their own messages" on public.messages;
create policy "Users edit their own messages" on public.messages
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid())
    and exists (select 1 from public.conversations c where c.id = conversation_id and c.user_id = (select auth.uid()))
  );
drop policy if exists "Users delete their own messages" on public.messages;
create policy "Users delete their own messages" on public.messages
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- ai_model_configs
create table if not exists public.ai_model_configs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  -- 'openai', 'claude', 'gemini' in the guide's seed; free text so a new provider needs no migration.
  provider text not null check (length(provider) between 1 and 50),
  model_name text not null check (length(model_name) between 1 and 100),
  temperature numeric(3, 2) not null default 0.7 check (temperature between 0 and 2),
  max_tokens integer not null default 2000 check (max_tokens between 1 and 1000000),
  system_prompt text,
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, provider, model_name)
);
-- At most one default model per user.
create unique index if not exists idx_ai_model_configs_one_default
  on public.ai_model_configs (user_id) where is_default;

create or replace trigger ai_model_configs_updated_at
  before update on public.ai_model_configs
  for each row execute function private.set_updated_at();

alter table public.ai_model_configs enable row level security;
revoke all on table public.ai_model_configs from public, anon, authenticated;
grant select, insert, update, delete on table public.ai_model_configs to authenticated;
grant all on table public.ai_model_configs to service_role;

drop policy if exists "Users read their own model configs" on public.ai_model_configs;
create policy "Users read their own model configs" on public.ai_model_configs
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own model configs" on public.ai_model_configs;
create policy "Users create their own model configs" on public.ai_model_configs
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own model configs" on public.ai_model_configs;
create policy "Users update their own model configs" on public.ai_model_configs
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users delete their own model configs" on public.ai_model_configs;
create policy "Users delete their own model configs" on public.ai_model_configs
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- usage_metrics
-- One row per metered event. check_rate_limit writes the 'request' rows it counts; edge functions may add
-- other metric types (tokens, cost) with their own rows.
create table if not exists public.usage_metrics (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  -- What was used, e.g. the edge function's name ('ai-chat-message').
  action text not null check (length(action) between 1 and 100),
  metric_type text not null default 'request' check (length(metric_type) between 1 and 50),
  quantity bigint not null default 1 check (quantity >= 0),
  cost_usd numeric(12, 6),
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
-- The rate limit's lookup: one user's requests for one action in the last hour.
create index if not exists idx_usage_metrics_rate_window
  on public.usage_metrics (user_id, action, created_at desc) where metric_type = 'request';
create index if not exists idx_usage_metrics_user_created on public.usage_metrics (user_id, created_at desc);

alter table public.usage_metrics enable row level security;
revoke all on table public.usage_metrics from public, anon, authenticated;
-- Read-only for users: a user able to delete usage rows could reset their own rate limit.
grant select on table public.usage_metrics to authenticated;
grant all on table public.usage_metrics to service_role;

drop policy if exists "Users read their own usage" on public.usage_metrics;
create policy "Users read their own usage" on public.usage_metrics
  for select to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- the rate limit
-- Guide 002's per-tier limits (free 100, premium 500, family_plus 1000, business 5000 requests per hour),
-- enforced in the database so every edge function instance shares one count; the guide's in-memory Map
-- counted per function instance and forgot everything on a cold start. The window slides: the requests of
-- the last hour count. Each action (edge function) has its own budget, as in the guide, where each
-- function kept its own Map. An allowed call records the request; a refused one records nothing.
create or replace function public.check_rate_limit(p_user uuid, p_action text)
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
revoke all on function public.check_rate_limit(uuid, text) from public, anon;
grant execute on function public.check_rate_limit(uuid, text) to authenticated, service_role;

-- ---------------------------------------------------------------- new users
-- Every new auth.users row gets a profile and guide 000's default model configurations (section 4.5).
-- The guide's seed used auth.uid(), which is null in a migration or SQL editor; the trigger knows the id.
-- security definer: it runs as the auth service's role, which has no rights on public.
create or replace function private.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, email, full_name, avatar_url)
  values (
    new.id,
    new.email,
    coalesce(new.raw_user_meta_data ->> 'full_name', new.raw_user_meta_data ->> 'name'),
    new.raw_user_meta_data ->> 'avatar_url'
  )
  on conflict (id) do nothing;
  perform private.create_default_model_configs(new.id);
  return new;
end
$$;

create or replace function private.create_default_model_configs(p_user uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.ai_model_configs (user_id, provider, model_name, temperature, max_tokens, is_default)
  select p_user, d.provider, d.model_name, 0.7, 2000, d.is_default
  from (values
    ('openai', 'gpt-4', true),
    ('claude', 'claude-3-opus', false),
    ('gemini', 'gemini-pro', false)
  ) as d (provider, model_name, is_default)
  -- Only for a user without any configuration yet: never re-add a model the user deleted.
  where not exists (select 1 from public.ai_model_configs c where c.user_id = p_user)
  on conflict do nothing;
$$;
revoke all on function private.handle_new_user() from public, anon, authenticated;
revoke all on function private.create_default_model_configs(uuid) from public, anon, authenticated;

create or replace trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_user();

-- Users who signed up before this migration get the same.
insert into public.profiles (id, email, full_name, avatar_url)
select u.id, u.email,
       coalesce(u.raw_user_meta_data ->> 'full_name', u.raw_user_meta_data ->> 'name'),
       u.raw_user_meta_data ->> 'avatar_url'
from auth.users u
on conflict (id) do nothing;
select private.create_default_model_configs(u.id)
from auth.users u
where not exists (select 1 from public.ai_model_configs c where c.user_id = u.id);
