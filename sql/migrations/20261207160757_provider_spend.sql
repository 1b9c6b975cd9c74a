-- Platform-wide provider spend since a moment (the start of the UTC day), for the daily cost alarm
-- (components/provider_spend.py). Read only from what the backend writes and users cannot change or delete:
-- AI replies from usage_metrics.cost_usd (each call's estimate, per provider: the ledger's ai_tokens carry no
-- model to price them by); every other paid unit (translation characters, OCR pages, SMS segments, e-mails,
-- embedding tokens) from private.spend_ledger's net quantity (reservations and their settlements) at
-- private.spend_units' price.
create or replace function public.provider_spend_since(p_since timestamptz)
returns table (provider text, spend_usd numeric)
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(nullif(m.metadata ->> 'provider', ''), m.action), sum(m.cost_usd)
    from public.usage_metrics m
   where m.created_at >= p_since and m.cost_usd is not null
   group by 1
  union all
  select l.unit, sum(l.quantity) * u.usd_per_unit
    from private.spend_ledger l
    join private.spend_units u on u.unit = l.unit
   where l.created_at >= p_since and l.unit <> 'ai_tokens' and u.usd_per_unit > 0
   group by l.unit, u.usd_per_unit
$$;
revoke all on function public.provider_spend_since(timestamptz) from public, anon, authenticated;
grant execute on function public.provider_spend_since(timestamptz) to service_role;
