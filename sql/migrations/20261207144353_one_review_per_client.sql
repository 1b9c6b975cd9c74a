-- A listing's reputation counts people, not bookings, and a handful of reviews cannot top the directory
-- (issue 20, class "reputation an account can multiply").
--
-- Before this file a review needed a completed booking, once per booking; but the professional completes
-- bookings, so a professional with one second account (or one friendly client) could book, complete and review
-- as often as they liked: 50 bookings, 50 five-star reviews, review_count 50. Now:
--   * one review per client and listing (a unique index): a returning client edits their review, and the rating
--     and review_count count each client once;
--   * the directory ranks by rating_score, kept by the same trigger as rating: the average rating shrunk toward
--     a neutral prior (3 stars, weighing as much as 5 reviews), so one five-star review from a second account
--     scores 3.33, below a listing with many good reviews, instead of a perfect 5.00 at the top.
-- rating, review_count and rating_score are written only by the trigger (users have no grant on them).

-- Each client's newest review of a listing stays; the trigger recomputes the listing's figures as they go.
delete from public.professional_reviews r
using public.professional_reviews newer
where newer.professional_id = r.professional_id
  and newer.reviewer_id = r.reviewer_id
  and (newer.created_at, newer.id) > (r.created_at, r.id);
create unique index if not exists professional_reviews_one_per_client
  on public.professional_reviews (professional_id, reviewer_id);

alter table public.professionals add column if not exists rating_score numeric(3, 2);

-- The prior the ranking shrinks toward: private, one place.
create or replace function private.review_prior()
returns table (prior_rating numeric, prior_weight integer)
language sql
immutable
set search_path = ''
as $$ select 3.0::numeric, 5 $$;
revoke all on function private.review_prior() from public, anon, authenticated;

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
  set rating = r.avg_rating, review_count = r.review_count, rating_score = r.score
  from (
    select round(avg(v.rating)::numeric, 2) as avg_rating,
           count(*)::integer as review_count,
           round((coalesce(sum(v.rating), 0) + pr.prior_rating * pr.prior_weight) / (count(*) + pr.prior_weight), 2)
             as score
    from private.review_prior() pr
    left join public.professional_reviews v on v.professional_id = v_professional
    group by pr.prior_rating, pr.prior_weight
  ) r
  where p.id = v_professional;
  return null;
end
$$;
revoke all on function private.refresh_professional_rating() from public, anon, authenticated;

create index if not exists idx_professionals_ranking on public.professionals (profession, rating_score desc)
  where is_verified and is_active;

-- Every listing takes its score (its figures are already counted once per client by the deletions above).
update public.professionals p
set rating_score = (
  select round((coalesce(sum(v.rating), 0) + pr.prior_rating * pr.prior_weight) / (count(v.id) + pr.prior_weight), 2)
  from private.review_prior() pr
  left join public.professional_reviews v on v.professional_id = p.id
  group by pr.prior_rating, pr.prior_weight
)
where p.rating_score is null;
