-- The AI models a new user starts with, as data instead of code. Guide 000 section 4.5 seeds gpt-4,
-- claude-3-opus and gemini-pro; Anthropic and Google have retired the last two, so every request for them
-- failed over to another provider. Which models a user starts with now lives in private.default_model_configs:
-- when providers retire a model again, a migration updates that table, not a function.
-- Idempotent like every migration here: running it again changes nothing.

create table if not exists private.default_model_configs (
  provider text primary key check (provider in ('openai', 'claude', 'gemini')),
  model_name text not null check (length(model_name) between 1 and 100),
  -- The models a user had under the guide's seed; their untouched rows are moved to model_name below.
  replaces_model_name text,
  temperature numeric(3, 2) not null default 0.7,
  max_tokens integer not null default 2000,
  is_default boolean not null default false
);
-- At most one default, as ai_model_configs allows one per user.
create unique index if not exists default_model_configs_one_default
  on private.default_model_configs (is_default) where is_default;
revoke all on private.default_model_configs from public, anon, authenticated;

insert into private.default_model_configs (provider, model_name, replaces_model_name, is_default) values
  ('openai', 'gpt-4', null, true),
  ('claude', 'claude-sonnet-4-5', 'claude-3-opus', false),
  ('gemini', 'gemini-2.5-flash', 'gemini-pro', false)
on conflict (provider) do nothing;

create or replace function private.create_default_model_configs(p_user uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.ai_model_configs (user_id, provider, model_name, temperature, max_tokens, is_default)
  select p_user, d.provider, d.model_name, d.temperature, d.max_tokens, d.is_default
  from private.default_model_configs d
  -- Only for a user without any configuration yet: never re-add a model the user deleted.
  where not exists (select 1 from public.ai_model_configs c where c.user_id = p_user)
  on conflict do nothing;
$$;
revoke all on function private.create_default_model_configs(uuid) from public, anon, authenticated;

-- Existing users: only the rows still exactly as the guide's seed made them (a model the user chose, or a row
-- whose settings the user changed, stays as it is), and never onto a model the user already has.
update public.ai_model_configs c
set model_name = d.model_name
from private.default_model_configs d
where c.provider = d.provider
  and c.model_name = d.replaces_model_name
  and c.temperature = 0.7
  and c.max_tokens = 2000
  and c.system_prompt is null
  and not exists (
    select 1 from public.ai_model_configs other
    where other.user_id = c.user_id and other.provider = d.provider and other.model_name = d.model_name
  );
