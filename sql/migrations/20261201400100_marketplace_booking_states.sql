-- Marketplace bookings change state only through the party allowed to make each change, and a review needs a
-- completed booking by someone other than the professional, once per booking.
--
-- Before this file a client could insert a booking, set it `completed` themselves (the update policy let either
-- party write any status) and review it, as often as they liked; a professional could book and review their own
-- listing. The rules now live in triggers, so PostgREST, the edge function and the backend all meet them.
--
--   requested --confirm (professional)--> confirmed --complete (professional)--> completed
--   requested | confirmed --cancel (client or professional)--> cancelled
--
-- completed and cancelled are final. The backend (service_role, postgres) may make any of these transitions
-- (support settling a dispute) but no other. A user's attempt at a transition that is not theirs fails with
-- SQLSTATE 42501; a transition that does not exist fails with 23514.

-- ---------------------------------------------------------------- bookings
-- Security invoker: the acting role (current_user) is the caller's, which tells a user from the backend.
-- private.is_professional (security definer) answers "is the caller this listing's professional" even for an
-- unverified or inactive listing the caller cannot read.
create or replace function private.guard_booking_state()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_user_action boolean := current_user in ('anon', 'authenticated');
  v_is_client boolean;
  v_is_professional boolean;
  v_move text;
begin
  if tg_op = 'INSERT' then
    -- Nobody books their own listing: that booking's only use would be a review of oneself.
    if v_user_action then
      v_is_professional := private.is_professional(new.professional_id);
    else
      v_is_professional := exists (
        select 1 from public.professionals p where p.id = new.professional_id and p.user_id = new.client_id);
    end if;
    if v_is_professional then
      raise exception 'a professional cannot book their own listing'
        using errcode = '23514', hint = 'book a listing of another professional';
    end if;
    if v_user_action and new.status <> 'requested' then
      raise exception 'a new booking starts as requested, not %', new.status
        using errcode = '23514', hint = 'insert the booking without a status';
    end if;
    return new;
  end if;

  if new.status is not distinct from old.status then
    return new;
  end if;
  v_move := old.status || '->' || new.status;
  if v_move not in ('requested->confirmed', 'requested->cancelled', 'confirmed->completed', 'confirmed->cancelled')
  then
    raise exception 'a booking cannot go from % to %', old.status, new.status
      using errcode = '23514',
            hint = 'requested goes to confirmed or cancelled, confirmed to completed or cancelled; '
                   'completed and cancelled are final';
  end if;
  if not v_user_action then
    return new;
  end if;

  v_is_client := old.client_id = auth.uid();
  v_is_professional := private.is_professional(old.professional_id);
  if new.status = 'cancelled' and (v_is_client or v_is_professional) then
    return new;
  end if;
  if new.status in ('confirmed', 'completed') and v_is_professional then
    return new;
  end if;
  raise exception 'only the professional may % a booking', case new.status when 'confirmed' then 'confirm'
    when 'completed' then 'complete' else 'cancel' end
    using errcode = '42501',
          hint = 'the professional confirms and completes a booking; either party may cancel it';
end
$$;
revoke all on function private.guard_booking_state() from public, anon, authenticated;

drop trigger if exists marketplace_bookings_guard_state on public.marketplace_bookings;
create trigger marketplace_bookings_guard_state
  before insert or update of status on public.marketplace_bookings
  for each row execute function private.guard_booking_state();

-- ---------------------------------------------------------------- reviews
-- Security definer: the same rule for every role, checked against rows the reviewer may not be able to read
-- (an inactive listing's owner).
create or replace function private.guard_review()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_booking record;
begin
  select b.client_id, b.professional_id, b.status, p.user_id as professional_user
  into v_booking
  from public.marketplace_bookings b
  join public.professionals p on p.id = b.professional_id
  where b.id = new.booking_id;
  if not found or v_booking.status <> 'completed' then
    raise exception 'a review needs a completed booking'
      using errcode = '23514', hint = 'review a booking once its professional has completed it';
  end if;
  if v_booking.client_id <> new.reviewer_id or v_booking.professional_id <> new.professional_id then
    raise exception 'a review is written by the booking''s client about the booking''s professional'
      using errcode = '23514', hint = 'set professional_id to the booking''s professional';
  end if;
  if v_booking.professional_user = new.reviewer_id then
    raise exception 'a professional cannot review their own listing' using errcode = '23514';
  end if;
  return new;
end
$$;
revoke all on function private.guard_review() from public, anon, authenticated;

drop trigger if exists professional_reviews_guard on public.professional_reviews;
create trigger professional_reviews_guard
  before insert or update of booking_id, professional_id, reviewer_id on public.professional_reviews
  for each row execute function private.guard_review();

-- Reviews written through the hole that the rules above now refuse: of oneself, of a booking not completed, or
-- not by the booking's client. (Bookings a client completed themselves cannot be told apart afterwards.) The
-- rating trigger recomputes each listing's rating as they go.
delete from public.professional_reviews r
using public.marketplace_bookings b, public.professionals p
where b.id = r.booking_id
  and p.id = b.professional_id
  and (b.status <> 'completed' or b.client_id <> r.reviewer_id or b.professional_id <> r.professional_id
       or p.user_id = r.reviewer_id);
