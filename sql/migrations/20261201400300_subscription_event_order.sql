-- Subscriptions written from provider webhooks that arrive out of order, more than once, or late.
--
-- Stripe and Razorpay do not promise the order of their events: `customer.subscription.deleted` may arrive
-- before a delayed `invoice.payment_succeeded` of the same subscription, a checkout's invoice before the
-- checkout itself. private.apply_subscription_event is the one writer of a subscription's state, under a row
-- lock: the newest event (by the provider's own event time) wins, an older one changes nothing, and a canceled
-- subscription stays canceled (neither provider reactivates one). The profile's tier, and with it the rate
-- limit and the storage limit, follow through the existing triggers (private.sync_profile_tier,
-- private.apply_tier_storage_limit).

alter table public.subscriptions add column if not exists last_event_at timestamptz;

create or replace function private.apply_subscription_event(
  p_provider text,
  p_subscription_id text,
  p_user uuid,
  p_tier text,
  p_status text,
  p_event_at timestamptz,
  p_customer text default null,
  p_period_start timestamptz default null,
  p_period_end timestamptz default null
)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_row public.subscriptions%rowtype;
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
      current_period_start, current_period_end, canceled_at, last_event_at)
    values (
      p_user, p_tier, p_provider, p_customer, p_subscription_id, p_status,
      p_period_start, p_period_end, case when p_status = 'canceled' then p_event_at end, p_event_at)
    -- Two first events of one subscription at once: the second waits here, then takes the update path below.
    on conflict (provider, provider_subscription_id) do nothing;
    if found then
      return p_status;
    end if;
    return private.apply_subscription_event(p_provider, p_subscription_id, p_user, p_tier, p_status, p_event_at,
                                            p_customer, p_period_start, p_period_end);
  end if;

  if p_user is not null and p_user <> v_row.user_id then
    raise exception 'subscription % belongs to another user', p_subscription_id
      using errcode = '23514', hint = 'the event''s user metadata does not match the stored subscription';
  end if;
  if v_row.status = 'canceled' or p_event_at < coalesce(v_row.last_event_at, '-infinity') then
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
      canceled_at = case when p_status = 'canceled' then p_event_at else canceled_at end,
      last_event_at = p_event_at
  where id = v_row.id;
  return p_status;
end
$$;
revoke all on function private.apply_subscription_event(text, text, uuid, text, text, timestamptz, text, timestamptz,
  timestamptz) from public, anon, authenticated;
grant execute on function private.apply_subscription_event(text, text, uuid, text, text, timestamptz, text,
  timestamptz, timestamptz) to service_role;
