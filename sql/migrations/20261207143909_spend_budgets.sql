-- Daily budgets for everything that costs money per unit of input (issue 20, hole 4). A free account pushed
-- 1.5 M characters to Google Translation in 15 requests: the only bound was the hourly request rate, and each
-- request could be as large as the function allowed. Now every paid unit (translation characters, OCR pages,
-- embedding tokens, AI tokens, SMS segments, e-mails, push messages) has a daily budget per tier, in data the
-- backend owns, and is counted before the provider is called:
--
--   private.spend_units        the units, and the list price of each (with its source and date);
--   private.ai_model_prices    AI list prices per model (an AI token's price depends on the model);
--   private.spend_tier_limits  per tier and unit: how many units one account may spend per UTC day;
--   private.spend_ledger       append-only: one row per reservation, one per settlement. No API role writes it;
--                              a user reads their own rows; nobody updates it, and only rows older than the
--                              retention window are ever deleted, so deleting a user's own rows elsewhere
--                              (translations, reminders, invitations) gives nothing back.
--   private.reserve_spend()    checks and records in one call, under a lock per user and unit, so concurrent
--                              requests cannot overshoot: the reservation is written only if it fits.
--   private.settle_spend()     reconciles a reservation with what the provider reported (AI tokens), once.
--   private.spend_worst_case() the most one account of a tier can make the platform spend in a day.
-- Idempotent like every migration here: running it again changes nothing.

-- ---------------------------------------------------------------- units and prices
create table if not exists private.spend_units (
  unit text primary key check (unit ~ '^[a-z][a-z0-9_]{0,62}$'),
  provider text not null,
  -- List price of one unit in USD (0 for units that cost attention, not money). For ai_tokens the price is the
  -- model's, in private.ai_model_prices; this column is then 0.
  usd_per_unit numeric(14, 10) not null check (usd_per_unit >= 0),
  price_source text not null,
  price_as_of date not null
);
revoke all on private.spend_units from public, anon, authenticated;
grant select on private.spend_units to service_role;

insert into private.spend_units (unit, provider, usd_per_unit, price_source, price_as_of) values
  ('translation_characters', 'Google Cloud Translation (NMT)', 0.00002,
   'cloud.google.com/translate/pricing: $20 per million characters past the monthly free 500,000', '2025-06-01'),
  ('ocr_pages', 'Google Cloud Vision DOCUMENT_TEXT_DETECTION', 0.0015,
   'cloud.google.com/vision/pricing: $1.50 per 1,000 units (an image or a PDF page) past the free 1,000', '2025-06-01'),
  ('embedding_tokens', 'OpenAI embeddings', 0.00000013,
   'openai.com/api/pricing: text-embedding-3-large $0.13 per million tokens (3-small: $0.02)', '2025-06-01'),
  ('ai_tokens', 'OpenAI, Anthropic, Google (per model)', 0,
   'private.ai_model_prices', '2025-06-01'),
  ('sms_segments', 'Twilio Programmable Messaging', 0.0083,
   'twilio.com/en-us/sms/pricing/us: $0.0083 per outbound segment to US numbers', '2025-06-01'),
  ('emails', 'Resend (SendGrid as fallback)', 0.0009,
   'resend.com/pricing: Pro plan, $0.90 per 1,000 e-mails past the included 50,000', '2025-06-01'),
  ('push_messages', 'Firebase Cloud Messaging', 0,
   'firebase.google.com/pricing: Cloud Messaging is free', '2025-06-01'),
  ('family_invitations', 'none (each one may cost an e-mail, counted as emails)', 0,
   'no provider', '2025-06-01')
on conflict (unit) do nothing;

create table if not exists private.ai_model_prices (
  provider text not null check (provider ~ '^[a-z0-9_-]{1,50}$'),
  model_name text not null check (length(model_name) between 1 and 100),
  usd_per_million_input numeric(10, 4) not null check (usd_per_million_input >= 0),
  usd_per_million_output numeric(10, 4) not null check (usd_per_million_output >= 0),
  price_source text not null,
  price_as_of date not null,
  primary key (provider, model_name)
);
revoke all on private.ai_model_prices from public, anon, authenticated;
grant select on private.ai_model_prices to service_role;

-- The same figures as functions/_shared/ai/pricing.ts (list prices per million tokens, input / output).
insert into private.ai_model_prices
  (provider, model_name, usd_per_million_input, usd_per_million_output, price_source, price_as_of) values
  ('openai', 'gpt-4', 30, 60, 'openai.com/api/pricing', '2025-06-01'),
  ('openai', 'gpt-4o', 2.5, 10, 'openai.com/api/pricing', '2025-06-01'),
  ('openai', 'gpt-4o-mini', 0.15, 0.6, 'openai.com/api/pricing', '2025-06-01'),
  ('openai', 'gpt-4.1', 2, 8, 'openai.com/api/pricing', '2025-06-01'),
  ('openai', 'gpt-4.1-mini', 0.4, 1.6, 'openai.com/api/pricing', '2025-06-01'),
  ('claude', 'claude-sonnet-4-5', 3, 15, 'anthropic.com/pricing', '2025-10-01'),
  ('claude', 'claude-haiku-4-5', 1, 5, 'anthropic.com/pricing', '2025-10-01'),
  ('claude', 'claude-opus-4-1', 15, 75, 'anthropic.com/pricing', '2025-08-05'),
  ('gemini', 'gemini-2.5-flash', 0.3, 2.5, 'ai.google.dev/gemini-api/docs/pricing', '2025-06-17'),
  ('gemini', 'gemini-2.5-flash-lite', 0.1, 0.4, 'ai.google.dev/gemini-api/docs/pricing', '2025-07-22'),
  ('gemini', 'gemini-2.5-pro', 1.25, 10, 'ai.google.dev/gemini-api/docs/pricing (prompts up to 200k tokens)',
   '2025-06-17')
on conflict (provider, model_name) do nothing;

-- ---------------------------------------------------------------- budgets per tier
create table if not exists private.spend_tier_limits (
  tier text not null references public.subscription_tiers (tier) on update cascade on delete cascade,
  unit text not null references private.spend_units (unit),
  daily_limit bigint not null check (daily_limit >= 0),
  primary key (tier, unit)
);
revoke all on private.spend_tier_limits from public, anon, authenticated;
grant select on private.spend_tier_limits to service_role;

-- Sized so a free account's worst day stays under the ceiling in the stack config (freeTierDailySpendCeilingUsd,
-- checked by tests/schema/test_spend_budgets.py); docs/security.md has the table these give at list prices.
insert into private.spend_tier_limits (tier, unit, daily_limit)
select t.tier, l.unit, case t.tier when 'free' then l.free when 'premium' then l.premium
                                   when 'family_plus' then l.family_plus else l.business end
from public.subscription_tiers t
cross join (values
  ('translation_characters', 20000, 200000, 300000, 1000000),
  ('ocr_pages', 30, 300, 500, 2000),
  ('embedding_tokens', 200000, 2000000, 3000000, 10000000),
  ('ai_tokens', 15000, 200000, 300000, 1000000),
  ('sms_segments', 10, 40, 60, 200),
  ('emails', 30, 60, 100, 300),
  ('push_messages', 100, 300, 500, 1000),
  ('family_invitations', 20, 50, 50, 50)
) as l (unit, free, premium, family_plus, business)
where t.tier in ('free', 'premium', 'family_plus', 'business')
on conflict (tier, unit) do nothing;

-- ---------------------------------------------------------------- the ledger
create table if not exists private.spend_ledger (
  id bigint generated always as identity primary key,
  -- No foreign key: a deleted account's rows stay until the retention window passes, like any other row.
  user_id uuid not null,
  unit text not null references private.spend_units (unit),
  -- The UTC day the units count against.
  day date not null,
  -- A reservation is positive; a settlement is the difference the provider reported (negative gives back).
  quantity bigint not null,
  -- What spent it: the edge function (or trigger) name.
  source text not null check (source ~ '^[a-z][a-z0-9_-]{0,62}$'),
  settles bigint references private.spend_ledger (id),
  created_at timestamptz not null default now(),
  check (settles is not null or quantity > 0)
);
create index if not exists spend_ledger_user_unit_day on private.spend_ledger (user_id, unit, day);
-- A reservation is settled at most once.
create unique index if not exists spend_ledger_one_settlement on private.spend_ledger (settles)
  where settles is not null;

alter table private.spend_ledger enable row level security;
revoke all on private.spend_ledger from public, anon, authenticated, service_role;
grant select on private.spend_ledger to authenticated, service_role;
drop policy if exists "Users read their own spend" on private.spend_ledger;
create policy "Users read their own spend" on private.spend_ledger
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "The backend reads all spend" on private.spend_ledger;
create policy "The backend reads all spend" on private.spend_ledger
  for select to service_role using (true);

-- Append-only for everyone, the table's owner included: no row changes, and only rows past the retention
-- window (40 days, more than any budget looks back) may be deleted.
create or replace function private.spend_ledger_append_only()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' then
    raise exception 'private.spend_ledger is append-only: record a settlement instead of changing a row'
      using errcode = '42501';
  end if;
  if old.day >= (now() at time zone 'utc')::date - 40 then
    raise exception 'private.spend_ledger keeps its rows for 40 days; row % is from %', old.id, old.day
      using errcode = '42501';
  end if;
  return old;
end
$$;
revoke all on function private.spend_ledger_append_only() from public, anon, authenticated;

create or replace trigger spend_ledger_append_only
  before update or delete on private.spend_ledger
  for each row execute function private.spend_ledger_append_only();

-- ---------------------------------------------------------------- reserving and settling
-- Reserves p_quantity units of p_unit for p_user today (UTC), if the tier's daily budget has room. The check and
-- the insert run under a transaction-scoped advisory lock per user and unit: a concurrent reservation waits for
-- this one's commit and then counts it, so any number of parallel requests stays within the budget. Call it in a
-- short transaction of its own, before the provider; nothing is written when it is refused.
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
revoke all on function private.reserve_spend(uuid, text, bigint, text) from public, anon, authenticated;
grant execute on function private.reserve_spend(uuid, text, bigint, text) to service_role;

-- What the provider reported for a reservation: the difference is recorded against the reservation's day (less
-- gives units back, more takes them). Once per reservation; a second call changes nothing and returns false.
create or replace function private.settle_spend(p_reservation bigint, p_actual bigint)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_reserved private.spend_ledger;
  v_inserted integer;
begin
  if p_reservation is null or p_actual is null or p_actual < 0 then
    raise exception 'settle_spend needs a reservation id and the units actually used (0 or more)'
      using errcode = '22023';
  end if;
  select * into v_reserved from private.spend_ledger where id = p_reservation and settles is null;
  if not found then
    raise exception 'settle_spend: no reservation %', p_reservation using errcode = 'P0002';
  end if;
  insert into private.spend_ledger (user_id, unit, day, quantity, source, settles)
  values (v_reserved.user_id, v_reserved.unit, v_reserved.day, p_actual - v_reserved.quantity, v_reserved.source,
          v_reserved.id)
  on conflict (settles) where settles is not null do nothing;
  get diagnostics v_inserted = row_count;
  return v_inserted = 1;
end
$$;
revoke all on function private.settle_spend(bigint, bigint) from public, anon, authenticated;
grant execute on function private.settle_spend(bigint, bigint) to service_role;

-- ---------------------------------------------------------------- the worst case
-- Per unit, the most one account of p_tier can make the platform spend in one UTC day at list prices: the daily
-- budget times the unit's price; AI tokens at the dearest output price among the models the tier may use (every
-- token priced as output, an upper bound). A model without a price makes the AI figure null, so it cannot be
-- forgotten: tests/schema/test_spend_budgets.py fails on it.
create or replace function private.spend_worst_case(p_tier text)
returns table (unit text, daily_limit bigint, usd_per_unit numeric, usd numeric)
language sql
stable
security definer
set search_path = ''
as $$
  select w.unit, w.daily_limit, w.usd_per_unit, w.daily_limit * w.usd_per_unit
  from (
    select u.unit, coalesce(l.daily_limit, 0) as daily_limit,
           case when u.unit = 'ai_tokens' then
             (select case when bool_and(p.model_name is not null) then max(p.usd_per_million_output) / 1000000 end
              from private.ai_tier_models m
              left join private.ai_model_prices p on p.provider = m.provider and p.model_name = m.model_name
              where m.tier = p_tier)
           else u.usd_per_unit end as usd_per_unit
    from private.spend_units u
    left join private.spend_tier_limits l on l.tier = p_tier and l.unit = u.unit
  ) w
  order by w.unit
$$;
revoke all on function private.spend_worst_case(text) from public, anon, authenticated;
grant execute on function private.spend_worst_case(text) to service_role;
