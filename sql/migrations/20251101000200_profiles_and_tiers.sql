-- One profile per user for both halves of the platform: the AI Super Assistant's profiles and the
-- vault's per-user tier, storage used and storage limit live on the same row.

-- The subscription tiers and what each allows, in one place: the rate limit function, the storage
-- limit and the pricing page all read this table. Public: the pricing page shows it to visitors.
create table if not exists public.subscription_tiers (
  tier text primary key,
  display_name text not null,
  -- Guide 002's per-tier limits: requests per hour per user and per action.
  hourly_request_limit integer not null check (hourly_request_limit > 0),
  storage_limit_bytes bigint not null check (storage_limit_bytes > 0),
  monthly_price_cents integer not null default 0 check (monthly_price_cents >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

insert into public.subscription_tiers (tier, display_name, hourly_request_limit, storage_limit_bytes)
values
  ('free', 'Free', 100, 1073741824),               -- 1 GiB
  ('premium', 'Premium', 500, 53687091200),         -- 50 GiB
  ('family_plus', 'Family Plus', 1000, 214748364800), -- 200 GiB
  ('business', 'Business', 5000, 1099511627776)     -- 1 TiB
on conflict (tier) do nothing;

create or replace trigger subscription_tiers_updated_at
  before update on public.subscription_tiers
  for each row execute function private.set_updated_at();

alter table public.subscription_tiers enable row level security;
revoke all on table public.subscription_tiers from public, anon, authenticated;
grant select on table public.subscription_tiers to anon, authenticated;
grant all on table public.subscription_tiers to service_role;

drop policy if exists "Anyone can read the subscription tiers" on public.subscription_tiers;
create policy "Anyone can read the subscription tiers" on public.subscription_tiers
  for select to anon, authenticated using (true);

-- ---------------------------------------------------------------- profiles
create table if not exists public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  full_name text,
  avatar_url text,
  -- Changed only by the backend (subscription webhooks); users cannot write it (column grants below).
  subscription_tier text not null default 'free' references public.subscription_tiers (tier),
  -- Bytes of stored documents, kept in step with public.documents by a trigger.
  storage_used bigint not null default 0 check (storage_used >= 0),
  -- Follows the tier unless the backend sets an individual limit.
  storage_limit bigint not null default 1073741824 check (storage_limit > 0),
  preferences jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index if not exists idx_profiles_subscription_tier on public.profiles (subscription_tier);

create or replace trigger profiles_updated_at
  before update on public.profiles
  for each row execute function private.set_updated_at();

-- A new profile, or a tier change, takes the tier's storage limit.
create or replace function private.apply_tier_storage_limit()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.subscription_tier is distinct from old.subscription_tier then
    select t.storage_limit_bytes into new.storage_limit
    from public.subscription_tiers t
    where t.tier = new.subscription_tier;
  end if;
  return new;
end
$$;
revoke all on function private.apply_tier_storage_limit() from public, anon, authenticated;

create or replace trigger profiles_tier_storage_limit
  before insert or update of subscription_tier on public.profiles
  for each row execute function private.apply_tier_storage_limit();

alter table public.profiles enable row level security;
revoke all on table public.profiles from public, anon, authenticated;
-- Users read their own profile and edit only its personal columns; tier, storage used and storage limit
-- are the backend's (a user able to write them could lift their own limits).
grant select on table public.profiles to authenticated;
grant update (email, full_name, avatar_url, preferences) on table public.profiles to authenticated;
grant all on table public.profiles to service_role;

drop policy if exists "Users read their own profile" on public.profiles;
create policy "Users read their own profile" on public.profiles
  for select to authenticated using (id = (select auth.uid()));

drop policy if exists "Users update their own profile" on public.profiles;
create policy "Users update their own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));
-- No insert or delete policy: a profile is created by the auth.users trigger and removed with the user.
