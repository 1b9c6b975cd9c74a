-- Reminder delivery (reminder-engine): each occurrence of a reminder is claimed by one run (a lease, taken with
-- FOR UPDATE SKIP LOCKED, so overlapping runs never pick the same row), sent once on its channel, retried with
-- backoff when the channel fails, and recorded in reminder_deliveries (sent or failed), which its user reads.
-- Recurring reminders move to their next occurrence. Limits that cost money are kept here: active reminders per
-- user, push devices per user, SMS and e-mails per user per day. E-mail and SMS go only to the sign-in address and phone number
-- Supabase Auth confirmed, never to an address a user typed into their own rows.

-- ---------------------------------------------------------------- reminders: delivery state
alter table public.reminders
  add column if not exists delivery_status text not null default 'pending'
    check (delivery_status in ('pending', 'sending', 'sent', 'failed')),
  add column if not exists delivery_attempts integer not null default 0 check (delivery_attempts >= 0),
  -- A failed attempt waits until then; null = as soon as remind_at has come.
  add column if not exists next_attempt_at timestamptz,
  -- The run holding the current occurrence, until claimed_until (a run that died loses it then).
  add column if not exists claim_id uuid,
  add column if not exists claimed_until timestamptz,
  add column if not exists last_error text,
  -- A recurring reminder's first occurrence: the next ones are counted from it, so a monthly reminder on the 31st
  -- comes back to the 31st after February. Set by the engine; cleared when the user moves the reminder.
  add column if not exists series_start timestamptz;

create index if not exists idx_reminders_deliverable on public.reminders (remind_at)
  where not is_completed and delivery_status in ('pending', 'sending');

-- A user moving a reminder that was sent (or failed) asks for a new occurrence: delivery starts over.
-- A user moving a recurring reminder starts a new series (the engine, without a user, moves it along its series).
create or replace function private.reset_reminder_delivery()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.remind_at is distinct from old.remind_at and auth.uid() is not null then
    new.series_start := null;
  end if;
  if new.remind_at is distinct from old.remind_at and old.delivery_status in ('sent', 'failed')
     and new.delivery_status = old.delivery_status then
    new.delivery_status := 'pending';
    new.delivery_attempts := 0;
    new.next_attempt_at := null;
    new.notified_at := null;
    new.last_error := null;
  end if;
  return new;
end
$$;
revoke all on function private.reset_reminder_delivery() from public, anon, authenticated;
create or replace trigger reminders_reset_delivery
  before update of remind_at on public.reminders
  for each row execute function private.reset_reminder_delivery();

-- Every active reminder is a message someone pays for: at most 500 per user.
create or replace function private.limit_active_reminders()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_active integer;
begin
  if new.is_completed then
    return new;
  end if;
  perform 1 from public.profiles where id = new.user_id for update;
  select count(*) into v_active from public.reminders
  where user_id = new.user_id and not is_completed and id <> new.id;
  if v_active >= 500 then
    raise exception 'user % already has 500 active reminders', new.user_id
      using errcode = '53400', hint = 'Complete or delete reminders before adding more.';
  end if;
  return new;
end
$$;
revoke all on function private.limit_active_reminders() from public, anon, authenticated;
create or replace trigger reminders_limit_active
  before insert or update of is_completed on public.reminders
  for each row execute function private.limit_active_reminders();

-- ---------------------------------------------------------------- push_devices
-- The FCM registration tokens of a user's devices (the app registers them); push reminders go to each.
create table if not exists public.push_devices (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  token text not null check (length(token) between 20 and 4096),
  platform text not null default 'web' check (platform in ('android', 'ios', 'web')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, token)
);
create or replace trigger push_devices_updated_at
  before update on public.push_devices
  for each row execute function private.set_updated_at();

create or replace function private.limit_push_devices()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform 1 from public.profiles where id = new.user_id for update;
  if (select count(*) from public.push_devices where user_id = new.user_id) >= 10 then
    raise exception 'user % already has 10 push devices', new.user_id
      using errcode = '53400', hint = 'Remove a device before registering another.';
  end if;
  return new;
end
$$;
revoke all on function private.limit_push_devices() from public, anon, authenticated;
create or replace trigger push_devices_limit
  before insert on public.push_devices
  for each row execute function private.limit_push_devices();

alter table public.push_devices enable row level security;
revoke all on table public.push_devices from public, anon, authenticated;
grant select, delete on table public.push_devices to authenticated;
grant insert (user_id, token, platform) on table public.push_devices to authenticated;
grant update (platform) on table public.push_devices to authenticated;
grant all on table public.push_devices to service_role;

drop policy if exists "Users read their devices" on public.push_devices;
create policy "Users read their devices" on public.push_devices
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users register their devices" on public.push_devices;
create policy "Users register their devices" on public.push_devices
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their devices" on public.push_devices;
create policy "Users update their devices" on public.push_devices
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users remove their devices" on public.push_devices;
create policy "Users remove their devices" on public.push_devices
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- reminder_deliveries
-- One row per occurrence delivered or given up on; unique per occurrence, so a second send is refused here.
create table if not exists public.reminder_deliveries (
  id uuid primary key default gen_random_uuid(),
  reminder_id uuid not null references public.reminders (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  channel text not null check (channel in ('push', 'email', 'sms')),
  occurrence_at timestamptz not null,
  status text not null check (status in ('sent', 'failed')),
  provider text,
  provider_message_id text,
  attempts integer not null check (attempts >= 1),
  error text,
  created_at timestamptz not null default now(),
  unique (reminder_id, occurrence_at)
);
create index if not exists idx_reminder_deliveries_user on public.reminder_deliveries (user_id, channel, created_at desc);

alter table public.reminder_deliveries enable row level security;
revoke all on table public.reminder_deliveries from public, anon, authenticated;
grant select on table public.reminder_deliveries to authenticated;
grant all on table public.reminder_deliveries to service_role;
drop policy if exists "Users read their reminder deliveries" on public.reminder_deliveries;
create policy "Users read their reminder deliveries" on public.reminder_deliveries
  for select to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- next occurrence
-- The first occurrence of the series through p_at that is after p_after (missed ones are skipped, not sent in a
-- burst). Counted from p_at, so monthly reminders on the 31st stay on the last day instead of drifting.
create or replace function private.next_reminder_occurrence(p_at timestamptz, p_recurrence text, p_after timestamptz)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
  v_step interval := case p_recurrence
    when 'daily' then interval '1 day' when 'weekly' then interval '7 days'
    when 'monthly' then interval '1 month' when 'yearly' then interval '1 year' end;
  -- Each step's longest length, so the estimate below never overshoots.
  v_longest double precision := case p_recurrence
    when 'daily' then 90000 when 'weekly' then 608400 when 'monthly' then 2682000 when 'yearly' then 31626000 end;
  v_n bigint;
begin
  if v_step is null then
    return null;
  end if;
  v_n := greatest(1, floor(extract(epoch from (p_after - p_at)) / v_longest)::bigint);
  while p_at + v_n * v_step <= p_after loop
    v_n := v_n + 1;
  end loop;
  return p_at + v_n * v_step;
end
$$;
revoke all on function private.next_reminder_occurrence(timestamptz, text, timestamptz) from public, anon;
grant execute on function private.next_reminder_occurrence(timestamptz, text, timestamptz) to service_role;

-- ---------------------------------------------------------------- claiming
-- Claims up to p_limit due occurrences for one run and returns them with where to send them. A row is due when
-- its time has come and it is pending (and its retry wait is over) or its previous claim's lease ran out. SMS and
-- e-mail reminders of a user who was sent the channel's daily limit in the last 24 hours wait an hour instead.
create or replace function private.claim_due_reminders(
  p_limit integer default 50,
  p_lease_seconds integer default 300,
  p_sms_daily_limit integer default 20,
  p_email_daily_limit integer default 50
)
returns table (
  id uuid, user_id uuid, title text, description text, remind_at timestamptz, recurrence text, channel text,
  document_id uuid, document_title text, attempt integer, claim_id uuid, email text, phone text,
  push_tokens text[]
)
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Moving remind_at of a sent reminder asks for a new occurrence, so the number of reminders alone does not
  -- bound what a user can have sent: the paid channels are also capped per user and day.
  update public.reminders r
  set next_attempt_at = now() + interval '1 hour',
      last_error = format('%s daily limit (%s in 24 hours) reached; waiting an hour',
                          case r.channel when 'sms' then 'SMS' else 'E-mail' end,
                          case r.channel when 'sms' then p_sms_daily_limit else p_email_daily_limit end)
  where r.channel in ('sms', 'email') and not r.is_completed and r.delivery_status = 'pending'
    and r.remind_at <= now() and coalesce(r.next_attempt_at, '-infinity') <= now()
    and (select count(*) from public.reminder_deliveries d
         where d.user_id = r.user_id and d.channel = r.channel and d.status = 'sent'
           and d.created_at > now() - interval '24 hours')
        >= case r.channel when 'sms' then p_sms_daily_limit else p_email_daily_limit end;

  return query
  with due as (
    select d.id from public.reminders d
    where not d.is_completed and d.remind_at <= now()
      and ((d.delivery_status = 'pending' and coalesce(d.next_attempt_at, '-infinity') <= now())
           or (d.delivery_status = 'sending' and d.claimed_until < now()))
    order by d.remind_at
    limit greatest(1, least(p_limit, 500))
    for update skip locked
  ), claimed as (
    update public.reminders r
    set delivery_status = 'sending', claim_id = gen_random_uuid(),
        claimed_until = now() + make_interval(secs => greatest(30, p_lease_seconds)),
        delivery_attempts = r.delivery_attempts + 1
    from due where r.id = due.id
    returning r.*
  )
  select c.id, c.user_id, c.title, c.description, c.remind_at, c.recurrence, c.channel, c.document_id, doc.title,
         c.delivery_attempts, c.claim_id,
         (select u.email::text from auth.users u where u.id = c.user_id and u.email_confirmed_at is not null),
         (select u.phone from auth.users u where u.id = c.user_id and u.phone_confirmed_at is not null),
         coalesce((select array_agg(p.token order by p.created_at) from public.push_devices p
                   where p.user_id = c.user_id), '{}')
  from claimed c
  left join public.documents doc on doc.id = c.document_id
  order by c.remind_at;
end
$$;
revoke all on function private.claim_due_reminders(integer, integer, integer, integer)
  from public, anon, authenticated;
grant execute on function private.claim_due_reminders(integer, integer, integer, integer) to service_role;
