-- A paid tier lasts as long as what was paid for (issue 20, holes 2 and 3).
--
-- Hole 2: `current_period_end` was stored and never read, so one Razorpay order (one month) was premium for
-- ever. Hole 3: every `past_due` subscription kept its tier, including one whose first invoice never paid (a
-- delayed debit that failed), and Stripe's other statuses (`incomplete_expired`, `paused`) did not fit the table.
--
-- What a subscription grants is now computed from the data the backend owns, by one function,
-- private.subscription_grant_end(s): the moment the subscription stops granting its tier, or null when it
-- grants nothing.
--   active, trialing   until the current period ends (unknown yet: one month from its creation), plus grace
--   past_due           until the last *paid* period ends (paid_until), plus grace; never paid: nothing
--   incomplete, incomplete_expired, unpaid, paused, canceled: nothing
--   refunded in full or disputed (reversed_at): nothing, until a later payment succeeds
-- The grace period (private.subscription_grace(), 3 days) covers a webhook delivered late and a renewal paid on
-- the last day; docs/payments.md explains the choice.
--
-- The profile's tier stays the cache every limit reads, with the time it lapses (profiles.tier_valid_until):
-- private.refresh_profile_tier(user) writes both from the subscriptions. A lapsed cache is never believed:
--   private.effective_tier(user)     what the limit checks read (rate limit, AI allowance)
--   private.check_rate_limit,        refresh a lapsed profile first, so the rest of that request sees it
--   private.reserve_spend
--   storage growth                   a lapsed profile is refreshed before the storage limit is compared
--   private.expire_lapsed_tiers()    the schedule (pg_cron, every 10 minutes) downgrades every lapsed profile
--                                    and records each downgrade in private.tier_downgrades
-- A tier set on a profile by hand (tier_valid_until null) is an operator's grant and has no end.

-- ---------------------------------------------------------------- subscriptions: Stripe's statuses, paid periods
alter table public.subscriptions drop constraint if exists subscriptions_status_check;
alter table public.subscriptions add constraint subscriptions_status_check check (status in (
  'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'));
-- The end of the last period a succeeded payment covered; null while nothing was paid.
alter table public.subscriptions add column if not exists paid_until timestamptz;
-- When a full refund or a dispute took the money back; a later successful payment clears it.
alter table public.subscriptions add column if not exists reversed_at timestamptz;
-- The provider's time of the newest succeeded payment (what a reversal that arrives late is compared with).
alter table public.subscriptions add column if not exists last_paid_at timestamptz;

alter table public.payments drop constraint if exists payments_status_check;
alter table public.payments add constraint payments_status_check check (status in (
  'pending', 'succeeded', 'failed', 'refunded', 'disputed'));

-- When the profile's cached tier stops being true (null: free, or an operator's grant without end).
alter table public.profiles add column if not exists tier_valid_until timestamptz;
-- The schedule's sweep reads only the profiles with an end (paying ones), in the order they lapse.
create index if not exists idx_profiles_tier_valid_until on public.profiles (tier_valid_until)
  where tier_valid_until is not null;

create or replace function private.subscription_grace()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '3 days' $$;
revoke all on function private.subscription_grace() from public, anon;
grant execute on function private.subscription_grace() to authenticated, service_role;

-- The moment `s` stops granting its tier (null: it grants nothing). The one definition of "paid for".
create or replace function private.subscription_grant_end(s public.subscriptions)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select case
    when s.reversed_at is not null then null
    when s.status in ('active', 'trialing')
      then coalesce(s.current_period_end, s.created_at + interval '1 month') + private.subscription_grace()
    when s.status = 'past_due' then s.paid_until + private.subscription_grace()
  end
$$;
revoke all on function private.subscription_grant_end(public.subscriptions) from public, anon;
-- Users may ask it about rows they can read (their own subscriptions): the checkout refuses a second live one.
grant execute on function private.subscription_grant_end(public.subscriptions) to authenticated, service_role;

-- The tier a user's subscriptions grant at p_at, and until when (free and null when none does).
create or replace function private.tier_grant(p_user uuid, p_at timestamptz default now())
returns table (tier text, valid_until timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(g.tier, 'free'), g.valid_until
  from (select 1) one
  left join lateral (
    select s.tier, private.subscription_grant_end(s) as valid_until
    from public.subscriptions s
    join public.subscription_tiers t on t.tier = s.tier
    where s.user_id = p_user and private.subscription_grant_end(s) > p_at
    order by t.hourly_request_limit desc, private.subscription_grant_end(s) desc
    limit 1
  ) g on true
$$;
revoke all on function private.tier_grant(uuid, timestamptz) from public, anon, authenticated;
grant execute on function private.tier_grant(uuid, timestamptz) to service_role;

-- What every limit check reads: the cached tier while it holds, else what the subscriptions grant now.
create or replace function private.effective_tier(p_user uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case when p.tier_valid_until is null or p.tier_valid_until > now() then p.subscription_tier
              else (select g.tier from private.tier_grant(p.id) g) end
  from public.profiles p
  where p.id = p_user
$$;
revoke all on function private.effective_tier(uuid) from public, anon, authenticated;
grant execute on function private.effective_tier(uuid) to service_role;

-- Every downgrade of a paid period that ran out, once (the schedule's and the request paths' record).
create table if not exists private.tier_downgrades (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles (id) on delete cascade,
  from_tier text not null,
  to_tier text not null,
  lapsed_at timestamptz not null,
  recorded_at timestamptz not null default now()
);
create index if not exists tier_downgrades_user on private.tier_downgrades (user_id, recorded_at desc);
alter table private.tier_downgrades enable row level security;
revoke all on table private.tier_downgrades from public, anon, authenticated;

-- Writes the profile's tier and its end from the subscriptions; a downgrade because the cache lapsed is
-- recorded. Returns the tier.
create or replace function private.refresh_profile_tier(p_user uuid)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_profile record;
  v_grant record;
begin
  select p.subscription_tier, p.tier_valid_until into v_profile
  from public.profiles p where p.id = p_user for update;
  if not found then
    return null;
  end if;
  select g.tier, g.valid_until into v_grant from private.tier_grant(p_user) g;
  if v_profile.tier_valid_until <= now() and v_grant.tier is distinct from v_profile.subscription_tier then
    insert into private.tier_downgrades (user_id, from_tier, to_tier, lapsed_at)
    values (p_user, v_profile.subscription_tier, v_grant.tier, v_profile.tier_valid_until);
  end if;
  update public.profiles
  set subscription_tier = v_grant.tier, tier_valid_until = v_grant.valid_until
  where id = p_user
    and (subscription_tier, tier_valid_until) is distinct from (v_grant.tier, v_grant.valid_until);
  return v_grant.tier;
end
$$;
revoke all on function private.refresh_profile_tier(uuid) from public, anon, authenticated;
grant execute on function private.refresh_profile_tier(uuid) to service_role;

-- The scheduled job: every profile whose paid period ran out (past its grace) gets what its subscriptions grant
-- now. Returns how many profiles it refreshed.
create or replace function private.expire_lapsed_tiers()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_user uuid;
  v_count integer := 0;
begin
  for v_user in
    select p.id from public.profiles p where p.tier_valid_until <= now() order by p.tier_valid_until
  loop
    perform private.refresh_profile_tier(v_user);
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;
revoke all on function private.expire_lapsed_tiers() from public, anon, authenticated;
grant execute on function private.expire_lapsed_tiers() to service_role;

-- The subscriptions drive the profile through the same function (was: any live status, whatever its period).
create or replace function private.sync_profile_tier()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    perform private.refresh_profile_tier(old.user_id);
  end if;
  if tg_op in ('INSERT', 'UPDATE') and (tg_op = 'INSERT' or new.user_id is distinct from old.user_id) then
    perform private.refresh_profile_tier(new.user_id);
  end if;
  return null;
end
$$;
revoke all on function private.sync_profile_tier() from public, anon, authenticated;
drop trigger if exists subscriptions_sync_profile_tier on public.subscriptions;
create trigger subscriptions_sync_profile_tier
  after insert or delete or update of status, tier, user_id, current_period_end, paid_until, reversed_at, created_at
  on public.subscriptions
  for each row execute function private.sync_profile_tier();

-- Storage growth never rides on a lapsed tier: before the new usage is compared with the limit (the storage
-- triggers read storage_limit back from this update), the profile takes what its subscriptions grant now.
create or replace function private.lapse_tier_on_storage_growth()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_grant record;
begin
  select g.tier, g.valid_until into v_grant from private.tier_grant(new.id) g;
  if v_grant.tier is distinct from new.subscription_tier then
    insert into private.tier_downgrades (user_id, from_tier, to_tier, lapsed_at)
    values (new.id, new.subscription_tier, v_grant.tier, new.tier_valid_until);
    new.subscription_tier := v_grant.tier;
    -- The tier's storage trigger fires only for updates that name the tier column; this one names storage_used.
    select t.storage_limit_bytes into new.storage_limit from public.subscription_tiers t where t.tier = v_grant.tier;
  end if;
  new.tier_valid_until := v_grant.valid_until;
  return new;
end
$$;
revoke all on function private.lapse_tier_on_storage_growth() from public, anon, authenticated;
drop trigger if exists profiles_lapse_tier_on_storage_growth on public.profiles;
create trigger profiles_lapse_tier_on_storage_growth
  before update of storage_used on public.profiles
  for each row
  when (new.storage_used > old.storage_used and new.tier_valid_until <= now())
  execute function private.lapse_tier_on_storage_growth();

-- ---------------------------------------------------------------- the one writer of a subscription's state
-- As in 20261201400300, plus: p_paid_until (the period a succeeded payment covered) only ever moves forward and
-- clears an earlier reversal; incomplete_expired is final like canceled (Stripe's documented end states); and a
-- Razorpay order paid while the user's previous order of the same tier still runs starts where that one ends,
-- so a renewal bought early extends the period instead of overlapping it.
drop function if exists private.apply_subscription_event(text, text, uuid, text, text, timestamptz, text,
  timestamptz, timestamptz);
create or replace function private.apply_subscription_event(
  p_provider text,
  p_subscription_id text,
  p_user uuid,
  p_tier text,
  p_status text,
  p_event_at timestamptz,
  p_customer text default null,
  p_period_start timestamptz default null,
  p_period_end timestamptz default null,
  p_paid_until timestamptz default null
)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_row public.subscriptions%rowtype;
  v_runs_until timestamptz;
begin
  if p_event_at is null then
    raise exception 'a subscription event needs its provider''s event time' using errcode = '22004';
  end if;
  select * into v_row
  from public.subscriptions
  where provider = p_provider and provider_subscription_id = p_subscription_id
  for update;

  if not found then
    -- First word of this subscription. An event that cannot say whose it is (no user) is not guessed at.
    if p_user is null or p_tier is null then
      return null;
    end if;
    insert into public.subscriptions (
      user_id, tier, provider, provider_customer_id, provider_subscription_id, status,
      current_period_start, current_period_end, paid_until, last_paid_at, canceled_at, last_event_at)
    values (
      p_user, p_tier, p_provider, p_customer, p_subscription_id, p_status,
      p_period_start, p_period_end, p_paid_until, case when p_paid_until is not null then p_event_at end,
      case when p_status in ('canceled', 'incomplete_expired') then p_event_at end, p_event_at)
    -- Two first events of one subscription at once: the second waits here, then takes the update path below.
    on conflict (provider, provider_subscription_id) do nothing;
    if found then
      return p_status;
    end if;
    return private.apply_subscription_event(p_provider, p_subscription_id, p_user, p_tier, p_status, p_event_at,
                                            p_customer, p_period_start, p_period_end, p_paid_until);
  end if;

  if p_user is not null and p_user <> v_row.user_id then
    raise exception 'subscription % belongs to another user', p_subscription_id
      using errcode = '23514', hint = 'the event''s user metadata does not match the stored subscription';
  end if;

  -- The same on a replay of the capture (under a fresh event id): the month that ran when it was paid is the
  -- one that started before it.
  -- Orders only (ids order_...): a Razorpay Subscription's cycles come with their own dates.
  if p_provider = 'razorpay' and p_subscription_id like 'order\_%' and p_paid_until is not null
     and p_period_start is not null and p_period_end is not null then
    select max(s.current_period_end) into v_runs_until
    from public.subscriptions s
    where s.user_id = v_row.user_id and s.tier = v_row.tier and s.provider = 'razorpay' and s.id <> v_row.id
      and s.provider_subscription_id like 'order\_%'
      and s.status = 'active' and s.current_period_start <= p_period_start and s.current_period_end > p_period_start;
    if v_runs_until is not null then
      p_period_end := v_runs_until + (p_period_end - p_period_start);
      p_paid_until := p_period_end;
      p_period_start := v_runs_until;
    end if;
  end if;

  -- What was paid is a fact whatever the event's order or the subscription's state.
  if p_paid_until is not null then
    update public.subscriptions
    set paid_until = greatest(paid_until, p_paid_until),
        last_paid_at = greatest(last_paid_at, p_event_at),
        reversed_at = case when reversed_at < p_event_at then null else reversed_at end
    where id = v_row.id;
  end if;

  if v_row.status in ('canceled', 'incomplete_expired')
     or p_event_at < coalesce(v_row.last_event_at, '-infinity') then
    -- Final, or older than what is known: keep the state; learn only what was missing.
    update public.subscriptions
    set provider_customer_id = coalesce(provider_customer_id, p_customer),
        current_period_start = coalesce(current_period_start, p_period_start),
        current_period_end = coalesce(current_period_end, p_period_end)
    where id = v_row.id;
    return v_row.status;
  end if;
  update public.subscriptions
  set status = p_status,
      tier = coalesce(p_tier, tier),
      provider_customer_id = coalesce(p_customer, provider_customer_id),
      current_period_start = coalesce(p_period_start, current_period_start),
      current_period_end = coalesce(p_period_end, current_period_end),
      canceled_at = case when p_status in ('canceled', 'incomplete_expired') then p_event_at else canceled_at end,
      last_event_at = p_event_at
  where id = v_row.id;
  return p_status;
end
$$;
revoke all on function private.apply_subscription_event(text, text, uuid, text, text, timestamptz, text, timestamptz,
  timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function private.apply_subscription_event(text, text, uuid, text, text, timestamptz, text,
  timestamptz, timestamptz, timestamptz) to service_role;

-- A full refund or a dispute takes the money back. The payment is marked (p_outcome: refunded or disputed) when we
-- know it, and the subscription it paid for (else every subscription of that provider customer) grants nothing
-- from p_at until a later payment succeeds; a payment that succeeded after p_at (its event came first) already
-- paid again. Returns how many subscriptions lost their tier.
create or replace function private.reverse_subscription_payment(
  p_provider text,
  p_payment_id text,
  p_customer text,
  p_at timestamptz,
  p_outcome text
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_subscription uuid;
  v_count integer;
begin
  if p_at is null or p_outcome is null or p_outcome not in ('refunded', 'disputed') then
    raise exception 'a reversal needs its provider''s event time and an outcome (refunded or disputed)'
      using errcode = '22004';
  end if;
  if p_payment_id is not null then
    update public.payments set status = p_outcome
    where provider = p_provider and provider_payment_id = p_payment_id
    returning subscription_id into v_subscription;
  end if;
  update public.subscriptions
  set reversed_at = least(coalesce(reversed_at, p_at), p_at)
  where provider = p_provider
    and (id = v_subscription
         or (v_subscription is null and p_customer is not null and provider_customer_id = p_customer))
    and (last_paid_at is null or last_paid_at < p_at);
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
revoke all on function private.reverse_subscription_payment(text, text, text, timestamptz, text)
  from public, anon, authenticated;
grant execute on function private.reverse_subscription_payment(text, text, text, timestamptz, text) to service_role;

-- ---------------------------------------------------------------- the limit checks read the effective tier
-- As in 20261201100300, with one change: a profile whose paid period ran out is refreshed first, so this
-- request's limits, and every later read of the tier in it, are the lapsed tier's.
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

  if exists (select 1 from public.profiles p where p.id = p_user and p.tier_valid_until <= now()) then
    perform private.refresh_profile_tier(p_user);
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

-- As in 20261201100100, reading the effective tier (it is stable: it cannot refresh the profile itself).
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
  v_tier := private.effective_tier(p_user);
  if v_tier is null then
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

-- As in 20261207143909, with the same change as check_rate_limit: a daily spend budget is the tier's as it is now.
create or replace function private.reserve_spend(p_user uuid, p_unit text, p_quantity bigint, p_source text)
returns table (
  allowed boolean,
  reservation_id bigint,
  tier text,
  daily_limit bigint,
  used bigint,
  remaining bigint,
  resets_at timestamptz
)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_tier text;
  v_limit bigint;
  v_used bigint;
  v_day date := (now() at time zone 'utc')::date;
  v_resets timestamptz := ((now() at time zone 'utc')::date + 1)::timestamp at time zone 'utc';
  v_id bigint;
begin
  if p_user is null or p_unit is null or p_quantity is null or p_source is null then
    raise exception 'reserve_spend needs a user, a unit, a quantity and a source' using errcode = '22004';
  end if;
  if p_quantity <= 0 then
    raise exception 'reserve_spend: the quantity must be positive, not %', p_quantity using errcode = '22023';
  end if;
  if not exists (select 1 from private.spend_units u where u.unit = p_unit) then
    raise exception 'reserve_spend: unknown unit %; add it to private.spend_units', p_unit using errcode = '22023';
  end if;
  if exists (select 1 from public.profiles p where p.id = p_user and p.tier_valid_until <= now()) then
    perform private.refresh_profile_tier(p_user);
  end if;
  select p.subscription_tier into v_tier from public.profiles p where p.id = p_user;
  if not found then
    raise exception 'reserve_spend: user % has no profile', p_user using errcode = 'P0002';
  end if;
  -- A tier without a row has no budget: fail closed.
  select coalesce((select l.daily_limit from private.spend_tier_limits l where l.tier = v_tier and l.unit = p_unit), 0)
    into v_limit;

  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('private.spend_ledger'),
                                           pg_catalog.hashtext(p_user::text || '/' || p_unit));
  select coalesce(sum(s.quantity), 0) into v_used
  from private.spend_ledger s
  where s.user_id = p_user and s.unit = p_unit and s.day = v_day;

  if v_used + p_quantity > v_limit then
    return query select false, null::bigint, v_tier, v_limit, v_used, greatest(v_limit - v_used, 0), v_resets;
    return;
  end if;
  insert into private.spend_ledger (user_id, unit, day, quantity, source)
  values (p_user, p_unit, v_day, p_quantity, p_source)
  returning id into v_id;
  return query select true, v_id, v_tier, v_limit, v_used + p_quantity, v_limit - v_used - p_quantity, v_resets;
end
$$;

-- ---------------------------------------------------------------- what is already stored
-- Razorpay orders stored before this file were paid for their month: that month is what was paid.
update public.subscriptions
set paid_until = current_period_end
where provider = 'razorpay' and status = 'active' and paid_until is null;
-- Stripe subscriptions that were paid (a succeeded payment) learn the end of their paid period from the stored
-- one: a past_due subscription's stored period is the failed invoice's, so what was paid ended where it starts.
-- Those never paid keep paid_until null (past_due of those grants nothing now).
update public.subscriptions s
set paid_until = case when s.status = 'past_due' then s.current_period_start else s.current_period_end end
where s.provider = 'stripe' and s.paid_until is null and s.current_period_end is not null
  and exists (select 1 from public.payments p where p.subscription_id = s.id and p.status = 'succeeded');
-- Every profile with a subscription takes what its subscriptions grant now (profiles without any keep their tier:
-- it was set by hand).
select private.refresh_profile_tier(u.user_id)
from (select distinct s.user_id from public.subscriptions s) u;

-- ---------------------------------------------------------------- the schedule
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $cron$select cron.schedule('subscription-tier-expiry', '*/10 * * * *',
                                       'select private.expire_lapsed_tiers()')$cron$;
  end if;
end
$$;
