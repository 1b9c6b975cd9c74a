-- Platform-wide provider spend since a moment (the start of the UTC day), for the daily cost alarm
-- (components/provider_spend.py). Read from the rows the backend writes in usage_metrics, which users may read
-- but never write or delete: AI calls carry their estimated cost_usd; translation rows carry characters, priced
-- here at the caller's rate. OCR, SMS and e-mail write no usage rows yet, so they are not counted.
create or replace function public.provider_spend_since(
  p_since timestamptz,
  p_translation_usd_per_million_characters numeric default 20
)
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
  select 'translation', sum(m.quantity) * p_translation_usd_per_million_characters / 1000000
    from public.usage_metrics m
   where m.created_at >= p_since and m.action = 'translation-service' and m.metric_type = 'characters'
  having count(*) > 0
$$;
revoke all on function public.provider_spend_since(timestamptz, numeric) from public, anon, authenticated;
grant execute on function public.provider_spend_since(timestamptz, numeric) to service_role;
