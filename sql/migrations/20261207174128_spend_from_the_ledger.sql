-- The platform's provider spend from the spend ledger alone (issue 25): per UTC day and per unit, for the daily
-- spend alarm (components/provider_spend.py), the dashboard and `ops report`. The ledger is append-only, written
-- only by private.reserve_spend/settle_spend before and after each provider call, and no API role can change or
-- delete it, so the figure cannot be lowered by anything a user does. public.usage_metrics.cost_usd (which the
-- previous public.provider_spend_since read for AI replies) is no longer part of it.
--
-- quantity is the net of reservations and their settlements; spend_usd is that times the unit's list price in
-- private.spend_units. The ledger's ai_tokens carry no model, so they are priced at the dearest output price of any
-- model a tier may use (private.ai_tier_models): an upper bound, like private.spend_worst_case, so an AI-heavy day
-- alarms early rather than late. Idempotent like every migration here.
create or replace function public.provider_spend_by_day(p_since date)
returns table (day date, unit text, quantity numeric, spend_usd numeric)
language sql
stable
security definer
set search_path = ''
as $$
  select l.day, l.unit, sum(l.quantity)::numeric,
         sum(l.quantity) * case
           when l.unit = 'ai_tokens' then
             (select max(p.usd_per_million_output) / 1000000
                from private.ai_tier_models m
                join private.ai_model_prices p on p.provider = m.provider and p.model_name = m.model_name)
           else min(u.usd_per_unit)
         end
    from private.spend_ledger l
    join private.spend_units u on u.unit = l.unit
   where l.day >= p_since
   group by l.day, l.unit
   order by l.day, l.unit
$$;
revoke all on function public.provider_spend_by_day(date) from public, anon, authenticated;
grant execute on function public.provider_spend_by_day(date) to service_role;

-- Its predecessor, which mixed in usage_metrics: nothing calls it any more.
drop function if exists public.provider_spend_since(timestamptz);
