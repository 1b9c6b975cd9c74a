-- Subscriptions and payments (guide 002's subscription-manager, Stripe and Razorpay), with webhook events
-- recorded once each so a provider's retries are harmless.

-- ---------------------------------------------------------------- subscriptions
create table if not exists public.subscriptions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  tier text not null references public.subscription_tiers (tier),
  provider text not null check (provider in ('stripe', 'razorpay')),
  provider_customer_id text,
  provider_subscription_id text not null,
  status text not null check (status in ('trialing', 'active', 'past_due', 'canceled', 'incomplete', 'unpaid')),
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  canceled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, provider_subscription_id)
);
create index if not exists idx_subscriptions_user_id on public.subscriptions (user_id, status);
create or replace trigger subscriptions_updated_at
  before update on public.subscriptions
  for each row execute function private.set_updated_at();

-- The profile's tier follows the user's subscriptions: the highest tier among the live ones, else free.
-- past_due keeps the tier during the provider's retry period.
create or replace function private.sync_profile_tier()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := coalesce(new.user_id, old.user_id);
  v_tier text;
begin
  select s.tier into v_tier
  from public.subscriptions s
  join public.subscription_tiers t on t.tier = s.tier
  where s.user_id = v_user and s.status in ('trialing', 'active', 'past_due')
  order by t.hourly_request_limit desc
  limit 1;
  update public.profiles
  set subscription_tier = coalesce(v_tier, 'free')
  where id = v_user and subscription_tier is distinct from coalesce(v_tier, 'free');
  return null;
end
$$;
revoke all on function private.sync_profile_tier() from public, anon, authenticated;
create or replace trigger subscriptions_sync_profile_tier
  after insert or update of status, tier, user_id or delete on public.subscriptions
  for each row execute function private.sync_profile_tier();

alter table public.subscriptions enable row level security;
revoke all on table public.subscriptions from public, anon, authenticated;
-- Written only by the subscription manager from verified provider webhooks.
grant select on table public.subscriptions to authenticated;
grant all on table public.subscriptions to service_role;

drop policy if exists "Users read their own subscriptions" on public.subscriptions;
create policy "Users read their own subscriptions" on public.subscriptions
  for select to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- payments
create table if not exists public.payments (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  subscription_id uuid references public.subscriptions (id) on delete set null,
  provider text not null check (provider in ('stripe', 'razorpay')),
  provider_payment_id text not null,
  amount_cents bigint not null check (amount_cents >= 0),
  currency char(3) not null,
  status text not null check (status in ('pending', 'succeeded', 'failed', 'refunded')),
  description text,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, provider_payment_id)
);
create index if not exists idx_payments_user_id on public.payments (user_id, created_at desc);
create index if not exists idx_payments_subscription_id on public.payments (subscription_id);
create or replace trigger payments_updated_at
  before update on public.payments
  for each row execute function private.set_updated_at();

alter table public.payments enable row level security;
revoke all on table public.payments from public, anon, authenticated;
grant select on table public.payments to authenticated;
grant all on table public.payments to service_role;

drop policy if exists "Users read their own payments" on public.payments;
create policy "Users read their own payments" on public.payments
  for select to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- webhook_events
-- Every provider event, once: (provider, event_id) is unique, so a retried delivery is recognised.
-- Backend only: closed to anon and authenticated.
create table if not exists public.webhook_events (
  id uuid primary key default gen_random_uuid(),
  provider text not null check (provider in ('stripe', 'razorpay')),
  event_id text not null check (length(event_id) between 1 and 255),
  event_type text not null,
  payload jsonb not null,
  status text not null default 'received' check (status in ('received', 'processed', 'failed')),
  attempts integer not null default 0,
  error text,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  unique (provider, event_id)
);
create index if not exists idx_webhook_events_pending on public.webhook_events (received_at)
  where status <> 'processed';

alter table public.webhook_events enable row level security;
revoke all on table public.webhook_events from public, anon, authenticated;
grant all on table public.webhook_events to service_role;
-- Backend only: closed to anon and authenticated (no grant, no policy for them); the service role's
-- policies state the intent (it bypasses RLS anyway).
drop policy if exists "Only the backend reads webhook_events" on public.webhook_events;
create policy "Only the backend reads webhook_events" on public.webhook_events
  for select to service_role using (true);
drop policy if exists "Only the backend writes webhook_events" on public.webhook_events;
create policy "Only the backend writes webhook_events" on public.webhook_events
  for insert to service_role with check (true);
drop policy if exists "Only the backend updates webhook_events" on public.webhook_events;
create policy "Only the backend updates webhook_events" on public.webhook_events
  for update to service_role using (true) with check (true);
drop policy if exists "Only the backend deletes webhook_events" on public.webhook_events;
create policy "Only the backend deletes webhook_events" on public.webhook_events
  for delete to service_role using (true);

-- Records a verified webhook event and says whether to process it: true the first time an event arrives
-- (or when an earlier attempt failed), false for a duplicate already received or processed.
create or replace function public.record_webhook_event(
  p_provider text,
  p_event_id text,
  p_event_type text,
  p_payload jsonb
)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_status text;
begin
  insert into public.webhook_events (provider, event_id, event_type, payload, attempts)
  values (p_provider, p_event_id, p_event_type, p_payload, 1)
  on conflict (provider, event_id) do nothing;
  if found then
    return true;
  end if;
  -- A duplicate: retry only an event whose processing failed, under a row lock so two deliveries of it
  -- cannot both retry.
  select status into v_status
  from public.webhook_events
  where provider = p_provider and event_id = p_event_id
  for update;
  if v_status = 'failed' then
    update public.webhook_events
    set status = 'received', attempts = attempts + 1, error = null
    where provider = p_provider and event_id = p_event_id;
    return true;
  end if;
  return false;
end
$$;
revoke all on function public.record_webhook_event(text, text, text, jsonb) from public, anon, authenticated;
grant execute on function public.record_webhook_event(text, text, text, jsonb) to service_role;
