-- Reminders (guide 002's reminder-engine) and the professional marketplace (professional-marketplace).

-- ---------------------------------------------------------------- reminders
create table if not exists public.reminders (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  document_id uuid references public.documents (id) on delete cascade,
  title text not null check (length(title) between 1 and 300),
  description text,
  remind_at timestamptz not null,
  recurrence text not null default 'none' check (recurrence in ('none', 'daily', 'weekly', 'monthly', 'yearly')),
  channel text not null default 'push' check (channel in ('push', 'email', 'sms')),
  is_completed boolean not null default false,
  -- Set by the reminder engine when it has sent the reminder.
  notified_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_reminders_user_id on public.reminders (user_id, remind_at);
-- The reminder engine's scan: what is due and not yet sent.
create index if not exists idx_reminders_due on public.reminders (remind_at)
  where not is_completed and notified_at is null;
create or replace trigger reminders_updated_at
  before update on public.reminders
  for each row execute function private.set_updated_at();

alter table public.reminders enable row level security;
revoke all on table public.reminders from public, anon, authenticated;
grant select, delete on table public.reminders to authenticated;
grant insert (user_id, document_id, title, description, remind_at, recurrence, channel, is_completed)
  on table public.reminders to authenticated;
grant update (document_id, title, description, remind_at, recurrence, channel, is_completed)
  on table public.reminders to authenticated;
grant all on table public.reminders to service_role;

drop policy if exists "Users read their own reminders" on public.reminders;
create policy "Users read their own reminders" on public.reminders
  for select to authenticated using (user_id = (select auth.uid()));
-- A reminder may point only at a document its user can read (the subquery runs under documents' RLS).
drop policy if exists "Users create their own reminders" on public.reminders;
create policy "Users create their own reminders" on public.reminders
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and (document_id is null or exists (select 1 from public.documents d where d.id = document_id))
  );
drop policy if exists "Users update their own reminders" on public.reminders;
create policy "Users update their own reminders" on public.reminders
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid())
    and (document_id is null or exists (select 1 from public.documents d where d.id = document_id))
  );
drop policy if exists "Users delete their own reminders" on public.reminders;
create policy "Users delete their own reminders" on public.reminders
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- professionals
-- The marketplace's directory. Verified, active listings are public (visitors browse before signing up).
create table if not exists public.professionals (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique default auth.uid() references public.profiles (id) on delete cascade,
  display_name text not null check (length(display_name) between 1 and 200),
  profession text not null check (length(profession) between 1 and 100),
  bio text,
  specialties text[] not null default '{}',
  languages text[] not null default '{}',
  hourly_rate_cents integer check (hourly_rate_cents >= 0),
  currency char(3) not null default 'USD',
  is_active boolean not null default true,
  -- Set by the platform after checking credentials; the professional cannot set it.
  is_verified boolean not null default false,
  -- Kept by a trigger on professional_reviews.
  rating numeric(3, 2),
  review_count integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_professionals_listing on public.professionals (profession, rating desc)
  where is_verified and is_active;
create or replace trigger professionals_updated_at
  before update on public.professionals
  for each row execute function private.set_updated_at();

alter table public.professionals enable row level security;
revoke all on table public.professionals from public, anon, authenticated;
grant select on table public.professionals to anon, authenticated;
grant insert (user_id, display_name, profession, bio, specialties, languages, hourly_rate_cents, currency, is_active)
  on table public.professionals to authenticated;
grant update (display_name, profession, bio, specialties, languages, hourly_rate_cents, currency, is_active)
  on table public.professionals to authenticated;
grant delete on table public.professionals to authenticated;
grant all on table public.professionals to service_role;

drop policy if exists "Anyone reads verified active listings" on public.professionals;
create policy "Anyone reads verified active listings" on public.professionals
  for select to anon, authenticated using (is_verified and is_active);
drop policy if exists "Professionals read their own listing" on public.professionals;
create policy "Professionals read their own listing" on public.professionals
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own listing" on public.professionals;
create policy "Users create their own listing" on public.professionals
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Professionals update their own listing" on public.professionals;
create policy "Professionals update their own listing" on public.professionals
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Professionals delete their own listing" on public.professionals;
create policy "Professionals delete their own listing" on public.professionals
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- marketplace_bookings
create table if not exists public.marketplace_bookings (
  id uuid primary key default gen_random_uuid(),
  professional_id uuid not null references public.professionals (id) on delete cascade,
  client_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  -- The document the consultation is about. Sharing its content with the professional goes through the
  -- backend (a signed URL), not through this reference.
  document_id uuid references public.documents (id) on delete set null,
  status text not null default 'requested'
    check (status in ('requested', 'confirmed', 'completed', 'cancelled')),
  scheduled_at timestamptz,
  duration_minutes integer check (duration_minutes > 0),
  price_cents integer check (price_cents >= 0),
  currency char(3) not null default 'USD',
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_marketplace_bookings_client on public.marketplace_bookings (client_id, created_at desc);
create index if not exists idx_marketplace_bookings_professional
  on public.marketplace_bookings (professional_id, scheduled_at);
create or replace trigger marketplace_bookings_updated_at
  before update on public.marketplace_bookings
  for each row execute function private.set_updated_at();

-- Whether the caller is the professional of a listing (security definer: the listing may be unverified).
create or replace function private.is_professional(p_professional uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.professionals p where p.id = p_professional and p.user_id = auth.uid());
end
$$;
revoke all on function private.is_professional(uuid) from public, anon;
grant execute on function private.is_professional(uuid) to authenticated, service_role;

alter table public.marketplace_bookings enable row level security;
revoke all on table public.marketplace_bookings from public, anon, authenticated;
-- Bookings are records of a commercial relationship: cancelled, never deleted by users; prices are set by
-- the backend.
grant select on table public.marketplace_bookings to authenticated;
grant insert (professional_id, client_id, document_id, scheduled_at, duration_minutes, notes)
  on table public.marketplace_bookings to authenticated;
grant update (status, scheduled_at, notes) on table public.marketplace_bookings to authenticated;
grant all on table public.marketplace_bookings to service_role;

drop policy if exists "Clients and professionals read their bookings" on public.marketplace_bookings;
create policy "Clients and professionals read their bookings" on public.marketplace_bookings
  for select to authenticated
  using (client_id = (select auth.uid()) or (select private.is_professional(professional_id)));
drop policy if exists "Clients book listed professionals" on public.marketplace_bookings;
create policy "Clients book listed professionals" on public.marketplace_bookings
  for insert to authenticated
  with check (
    client_id = (select auth.uid())
    and status = 'requested'
    and exists (select 1 from public.professionals p where p.id = professional_id and p.is_verified and p.is_active)
    and (document_id is null
         or exists (select 1 from public.documents d where d.id = document_id and d.user_id = (select auth.uid())))
  );
drop policy if exists "Clients and professionals update their bookings" on public.marketplace_bookings;
create policy "Clients and professionals update their bookings" on public.marketplace_bookings
  for update to authenticated
  using (client_id = (select auth.uid()) or (select private.is_professional(professional_id)))
  with check (client_id = (select auth.uid()) or (select private.is_professional(professional_id)));

-- ---------------------------------------------------------------- professional_reviews
create table if not exists public.professional_reviews (
  id uuid primary key default gen_random_uuid(),
  professional_id uuid not null references public.professionals (id) on delete cascade,
  booking_id uuid not null unique references public.marketplace_bookings (id) on delete cascade,
  reviewer_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  rating smallint not null check (rating between 1 and 5),
  comment text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_professional_reviews_professional
  on public.professional_reviews (professional_id, created_at desc);
create or replace trigger professional_reviews_updated_at
  before update on public.professional_reviews
  for each row execute function private.set_updated_at();

create or replace function private.refresh_professional_rating()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_professional uuid := coalesce(new.professional_id, old.professional_id);
begin
  update public.professionals p
  set rating = r.avg_rating, review_count = r.review_count
  from (
    select round(avg(rating)::numeric, 2) as avg_rating, count(*)::integer as review_count
    from public.professional_reviews
    where professional_id = v_professional
  ) r
  where p.id = v_professional;
  return null;
end
$$;
revoke all on function private.refresh_professional_rating() from public, anon, authenticated;
create or replace trigger professional_reviews_refresh_rating
  after insert or update of rating or delete on public.professional_reviews
  for each row execute function private.refresh_professional_rating();

alter table public.professional_reviews enable row level security;
revoke all on table public.professional_reviews from public, anon, authenticated;
-- Reviews are public, like the directory they belong to.
grant select on table public.professional_reviews to anon, authenticated;
grant insert (professional_id, booking_id, reviewer_id, rating, comment) on table public.professional_reviews
  to authenticated;
grant update (rating, comment) on table public.professional_reviews to authenticated;
grant delete on table public.professional_reviews to authenticated;
grant all on table public.professional_reviews to service_role;

drop policy if exists "Anyone reads reviews" on public.professional_reviews;
create policy "Anyone reads reviews" on public.professional_reviews
  for select to anon, authenticated using (true);
-- Only the client of a completed booking reviews it, once.
drop policy if exists "Clients review their completed bookings" on public.professional_reviews;
create policy "Clients review their completed bookings" on public.professional_reviews
  for insert to authenticated
  with check (
    reviewer_id = (select auth.uid())
    and exists (
      select 1 from public.marketplace_bookings b
      where b.id = booking_id and b.client_id = (select auth.uid())
        and b.professional_id = professional_reviews.professional_id and b.status = 'completed'
    )
  );
drop policy if exists "Reviewers edit their reviews" on public.professional_reviews;
create policy "Reviewers edit their reviews" on public.professional_reviews
  for update to authenticated
  using (reviewer_id = (select auth.uid())) with check (reviewer_id = (select auth.uid()));
drop policy if exists "Reviewers delete their reviews" on public.professional_reviews;
create policy "Reviewers delete their reviews" on public.professional_reviews
  for delete to authenticated using (reviewer_id = (select auth.uid()));
