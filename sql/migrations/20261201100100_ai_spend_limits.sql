-- What a user's AI requests may cost, bounded in the data (issue 14, hole 1). Before this, any user could set
-- their ai_model_configs row to any model name and up to a million max_tokens through the Data API, store
-- messages of any length, and the edge function sent whatever the row or the request said to the provider.
--
-- Now the backend owns two tables in private (no API role reads or writes them):
--   private.ai_tier_limits  per tier: the max_tokens ceiling, and how much history one request may send;
--   private.ai_tier_models  per tier: the models (provider and exact model name) its users may ask for.
-- A trigger refuses model configurations outside them; private.ai_model_allowance() answers, for one user,
-- whether a model is allowed and with which limits, so every function that calls a provider (ai-chat-message,
-- guide 002's ai-chat) asks the same data. Stored messages are capped in size.
-- Idempotent like every migration here: running it again changes nothing.

-- ---------------------------------------------------------------- the data
create table if not exists private.ai_tier_limits (
  tier text primary key references public.subscription_tiers (tier) on update cascade on delete cascade,
  -- Output tokens one request may ask for; a configuration's max_tokens above it is refused. At most 32768, so a
  -- reply always fits the 400,000 characters messages_content_size gives it (below).
  max_tokens integer not null check (max_tokens between 1 and 32768),
  -- History sent with one request: the newest messages, at most this many and this many characters together
  -- (system prompt included), so megabytes of stored history cannot ride along with every call.
  max_history_messages integer not null check (max_history_messages between 0 and 500),
  max_history_characters integer not null check (max_history_characters between 0 and 4000000)
);
revoke all on private.ai_tier_limits from public, anon, authenticated;

insert into private.ai_tier_limits (tier, max_tokens, max_history_messages, max_history_characters) values
  ('free', 2000, 20, 24000),
  ('premium', 4096, 40, 96000),
  ('family_plus', 4096, 40, 96000),
  ('business', 8192, 100, 400000)
on conflict (tier) do nothing;

-- Exact model names, not prefixes: a prefix such as 'gpt-4' would also admit 'gpt-4-32k'.
create table if not exists private.ai_tier_models (
  tier text not null references public.subscription_tiers (tier) on update cascade on delete cascade,
  -- The provider's id as the edge functions store it: openai, claude, gemini (see private.ai_provider_id).
  provider text not null check (provider ~ '^[a-z0-9_-]{1,50}$'),
  model_name text not null check (length(model_name) between 1 and 100),
  primary key (tier, provider, model_name)
);
revoke all on private.ai_tier_models from public, anon, authenticated;

-- Every tier gets the models new users start with (private.default_model_configs, so signing up never fails)
-- and the providers' small models; paid tiers add the larger ones. Operators change these rows, not code.
insert into private.ai_tier_models (tier, provider, model_name)
select t.tier, m.provider, m.model_name
from public.subscription_tiers t
cross join (values
  ('openai', 'gpt-4'), ('openai', 'gpt-4o'), ('openai', 'gpt-4o-mini'),
  ('claude', 'claude-sonnet-4-5'), ('claude', 'claude-haiku-4-5'),
  ('gemini', 'gemini-2.5-flash'), ('gemini', 'gemini-2.5-flash-lite')
) as m (provider, model_name)
where t.tier in ('free', 'premium', 'family_plus', 'business')
on conflict do nothing;
insert into private.ai_tier_models (tier, provider, model_name)
select t.tier, m.provider, m.model_name
from public.subscription_tiers t
cross join (values
  ('openai', 'gpt-4.1'), ('openai', 'gpt-4.1-mini'), ('gemini', 'gemini-2.5-pro')
) as m (provider, model_name)
where t.tier in ('premium', 'family_plus', 'business')
on conflict do nothing;
insert into private.ai_tier_models (tier, provider, model_name)
values ('business', 'claude', 'claude-opus-4-1')
on conflict do nothing;
-- The default models themselves, whatever a later migration makes them.
insert into private.ai_tier_models (tier, provider, model_name)
select t.tier, d.provider, d.model_name
from public.subscription_tiers t cross join private.default_model_configs d
where t.tier in ('free', 'premium', 'family_plus', 'business')
on conflict do nothing;

-- ---------------------------------------------------------------- lookups
-- The names users and operators write (anthropic, google, any case) to the stored provider id; the same aliases
-- as functions/_shared/ai/providers.ts. Any other name is kept, lower-cased: a new provider needs only rows.
create or replace function private.ai_provider_id(p_provider text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case pg_catalog.lower(pg_catalog.btrim(p_provider))
    when 'anthropic' then 'claude'
    when 'google' then 'gemini'
    else pg_catalog.lower(pg_catalog.btrim(p_provider))
  end;
$$;
revoke all on function private.ai_provider_id(text) from public, anon, authenticated;
grant execute on function private.ai_provider_id(text) to service_role;

-- One user's AI allowance: their tier's limits, whether the model is allowed, and the models that are (to name
-- them in an error). security definer: the limits are private; a signed-in user may ask only about themselves.
create or replace function private.ai_model_allowance(p_user uuid, p_provider text, p_model text)
returns table (
  tier text,
  model_allowed boolean,
  max_tokens integer,
  max_history_messages integer,
  max_history_characters integer,
  allowed_models text[]
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_tier text;
begin
  if p_user is null or p_provider is null then
    raise exception 'ai_model_allowance needs a user id and a provider (e.g. ''openai'')' using errcode = '22004';
  end if;
  if current_setting('role', true) in ('anon', 'authenticated')
     and coalesce(auth.role(), '') <> 'service_role'
     and p_user is distinct from auth.uid() then
    raise exception 'ai_model_allowance: a user may only ask about their own allowance; pass auth.uid() as p_user'
      using errcode = '42501';
  end if;
  select p.subscription_tier into v_tier from public.profiles p where p.id = p_user;
  if not found then
    raise exception 'ai_model_allowance: user % has no profile; profiles are created when the user signs up', p_user
      using errcode = 'P0002';
  end if;
  return query
  select v_tier,
         exists (select 1 from private.ai_tier_models m
                 where m.tier = v_tier and m.provider = private.ai_provider_id(p_provider)
                   and m.model_name = p_model),
         l.max_tokens, l.max_history_messages, l.max_history_characters,
         coalesce((select array_agg(m.model_name order by m.model_name) from private.ai_tier_models m
                   where m.tier = v_tier and m.provider = private.ai_provider_id(p_provider)), '{}')
  from (select 1) one
  left join private.ai_tier_limits l on l.tier = v_tier;
end
$$;
-- Not revoked from authenticated: revoking and granting again would reorder the ACL, and this file must re-run
-- unchanged.
revoke all on function private.ai_model_allowance(uuid, text, text) from public, anon;
grant execute on function private.ai_model_allowance(uuid, text, text) to authenticated, service_role;

-- ---------------------------------------------------------------- ai_model_configs
-- A configuration names a model of the owner's tier and a max_tokens within its ceiling, whoever writes it
-- (the trigger also covers service_role and the signup trigger). A tier downgrade leaves earlier rows as they
-- are; the edge functions check the allowance on every request, so those rows get the lower tier's limits.
create or replace function private.check_ai_model_config()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_allowance record;
begin
  select a.* into v_allowance from private.ai_model_allowance(new.user_id, new.provider, new.model_name) a;
  if v_allowance.max_tokens is null then
    raise exception 'ai_model_configs: tier % has no AI limits; add its row to private.ai_tier_limits',
      v_allowance.tier using errcode = '23514';
  end if;
  if not v_allowance.model_allowed then
    raise exception 'ai_model_configs: the % tier does not include model % of provider %',
      v_allowance.tier, new.model_name, new.provider
      using errcode = '23514',
            hint = case when cardinality(v_allowance.allowed_models) = 0
                        then 'this tier has no models of that provider'
                        else 'choose one of: ' || array_to_string(v_allowance.allowed_models, ', ') end;
  end if;
  if new.max_tokens > v_allowance.max_tokens then
    raise exception 'ai_model_configs: max_tokens % is above the % tier''s ceiling of %',
      new.max_tokens, v_allowance.tier, v_allowance.max_tokens
      using errcode = '23514', hint = 'set max_tokens to at most ' || v_allowance.max_tokens;
  end if;
  return new;
end
$$;
revoke all on function private.check_ai_model_config() from public, anon, authenticated;

create or replace trigger ai_model_configs_within_tier
  before insert or update of user_id, provider, model_name, max_tokens on public.ai_model_configs
  for each row execute function private.check_ai_model_config();

-- The models new users start with must be ones every tier allows, within each ceiling: otherwise the trigger above
-- would refuse the signup's own configurations, and no one could sign up. Change the allowance first.
create or replace function private.check_default_model_config()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_tier text;
begin
  select l.tier into v_tier
  from private.ai_tier_limits l
  where l.max_tokens < new.max_tokens
     or not exists (select 1 from private.ai_tier_models m
                    where m.tier = l.tier and m.provider = private.ai_provider_id(new.provider)
                      and m.model_name = new.model_name)
  order by l.tier
  limit 1;
  if found then
    raise exception 'default_model_configs: the % tier does not allow % of % with max_tokens %',
      v_tier, new.model_name, new.provider, new.max_tokens
      using errcode = '23514',
            hint = 'add the model to private.ai_tier_models for every tier (and keep max_tokens within '
                   'private.ai_tier_limits) before making it a default';
  end if;
  return new;
end
$$;
revoke all on function private.check_default_model_config() from public, anon, authenticated;

create or replace trigger default_model_configs_allowed_everywhere
  before insert or update on private.default_model_configs
  for each row execute function private.check_default_model_config();

-- A system prompt rides along with every request of the configuration.
-- not valid: rows written before this migration are not rechecked (the edge functions cut what they send);
-- every insert and update from now on is.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint
                 where conrelid = 'public.ai_model_configs'::regclass and conname = 'ai_model_configs_system_prompt_size') then
    alter table public.ai_model_configs add constraint ai_model_configs_system_prompt_size
      check (length(system_prompt) <= 4000) not valid;
  end if;
end
$$;

-- A conversation's model is the user's to write and is looked up on every request: the same bounds as a
-- configuration's. Not valid, as above.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint
                 where conrelid = 'public.conversations'::regclass and conname = 'conversations_model_size') then
    alter table public.conversations add constraint conversations_model_size
      check (length(model_provider) <= 50 and length(model_name) <= 100) not valid;
  end if;
end
$$;

-- ---------------------------------------------------------------- messages
-- A user's message is at most the 32,000 characters the edge function accepts; replies (written by the backend
-- only, see 20261201100200) get room for the largest max_tokens ceiling. Not valid, as above.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint
                 where conrelid = 'public.messages'::regclass and conname = 'messages_content_size') then
    alter table public.messages add constraint messages_content_size
      check (length(content) <= case when role = 'user' then 32000 else 400000 end) not valid;
  end if;
end
$$;
