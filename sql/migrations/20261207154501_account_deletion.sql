-- Account deletion (issue 26, part 2). Deleting auth.users cascaded the rows but left every file, the payment
-- provider's subscription and, through the audit triggers, copies of the deleted rows in audit_log.
--
-- An erasure runs in steps, each safe to repeat (ops/lifecycle/account.py drives them):
--   1. private.begin_account_deletion: a row in private.account_deletions (the to-do), the sign-in blocked;
--   2. the live subscriptions cancelled at Stripe / Razorpay, each marked canceled here once the provider agreed;
--   3. every object of the account queued in private.storage_deletions and removed through Storage's API;
--   4. private.erase_account: in one transaction, the vaults handed over or dissolved, every row that names the
--      person removed, auth.users deleted, and one record in private.account_erasures that holds no personal data.
-- A run killed anywhere is finished by the next: step 4 refuses while an object of the account remains.

create table if not exists private.account_deletions (
  user_id uuid primary key,
  requested_by text not null check (requested_by in ('user', 'operator')),
  requested_at timestamptz not null default now(),
  subscriptions_canceled integer not null default 0,
  objects_removed integer not null default 0
);
revoke all on table private.account_deletions from public, anon, authenticated;

-- What is left of an erasure: when, who asked (the person or an operator) and how much went. No id, no e-mail.
create table if not exists private.account_erasures (
  id uuid primary key default gen_random_uuid(),
  requested_by text not null check (requested_by in ('user', 'operator')),
  requested_at timestamptz not null,
  erased_at timestamptz not null default now(),
  subscriptions_canceled integer not null,
  objects_removed integer not null,
  vaults_handed_over integer not null,
  vaults_dissolved integer not null
);
revoke all on table private.account_erasures from public, anon, authenticated;

-- Step 1. True when there is an account to erase (or an erasure under way); false when neither exists, which is
-- what a repeated request for an account already erased finds. Sign-in is blocked from here on.
create or replace function private.begin_account_deletion(p_user uuid, p_requested_by text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from auth.users u where u.id = p_user)
     and not exists (select 1 from private.account_deletions d where d.user_id = p_user) then
    return false;
  end if;
  insert into private.account_deletions (user_id, requested_by) values (p_user, p_requested_by)
  on conflict (user_id) do nothing;
  update auth.users set banned_until = 'infinity' where id = p_user and banned_until is distinct from 'infinity';
  return true;
end
$$;
revoke all on function private.begin_account_deletion(uuid, text) from public, anon, authenticated;

-- The signed-in user's own request, called by the account-deletion function after it checked that the session
-- is fresh. Reachable only from the functions (the private schema is not exposed by the Data API).
create or replace function private.request_account_deletion()
returns timestamptz
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_at timestamptz;
begin
  if v_user is null then
    raise exception 'only a signed-in user can ask for their account to be deleted' using errcode = '42501';
  end if;
  perform private.begin_account_deletion(v_user, 'user');
  select requested_at into v_at from private.account_deletions where user_id = v_user;
  return v_at;
end
$$;
revoke all on function private.request_account_deletion() from public, anon;
grant execute on function private.request_account_deletion() to authenticated;

-- Step 3's list: every object in the account's folder ('<user id>/...') of every bucket. The storage policies let
-- a user write only there, and the backend writes a user's results there too.
create or replace function private.queue_account_objects(p_user uuid)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  insert into private.storage_deletions (bucket_id, name, reason)
  select o.bucket_id, o.name, 'account_deleted'
  from storage.objects o
  where o.name like private.like_prefix(p_user::text || '/')
  on conflict (bucket_id, name) do nothing;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
revoke all on function private.queue_account_objects(uuid) from public, anon, authenticated;

-- Step 4. Family vaults the person owns go to the vault's longest-standing admin, who becomes owner; a vault
-- without another admin is dissolved (its members keep their own documents, the sharing ends). Marketplace
-- reviews the person wrote go with their bookings (the listing's rating is recomputed by its trigger), and
-- their own listing with its reviews. Everything else that names the person is removed.
create or replace function private.erase_account(p_user uuid)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_request private.account_deletions;
  v_email text;
  v_vault record;
  v_heir uuid;
  v_handed integer := 0;
  v_dissolved integer := 0;
  v_id text := p_user::text;
  v_erasure uuid;
begin
  select * into v_request from private.account_deletions where user_id = p_user for update;
  if not found then
    raise exception 'no deletion of account % is under way', p_user
      using errcode = 'P0002', hint = 'Start it with private.begin_account_deletion (ops account delete).';
  end if;
  if exists (select 1 from storage.objects o where o.name like private.like_prefix(v_id || '/')) then
    raise exception 'account % still has objects in Storage', p_user
      using errcode = '55000', hint = 'Remove them through the Storage API first (ops account delete does).';
  end if;
  select email into v_email from auth.users where id = p_user;
  perform set_config('lifecycle.erasing_account', 'on', true);

  for v_vault in select v.id from public.family_vaults v where v.owner_id = p_user order by v.created_at, v.id loop
    select m.user_id into v_heir from public.family_members m
    where m.vault_id = v_vault.id and m.user_id <> p_user and m.role = 'admin'
    order by m.created_at, m.user_id limit 1;
    if v_heir is null then
      delete from public.family_vaults where id = v_vault.id;
      v_dissolved := v_dissolved + 1;
    else
      update public.family_vaults set owner_id = v_heir where id = v_vault.id;
      update public.family_members set role = 'owner' where vault_id = v_vault.id and user_id = v_heir;
      v_handed := v_handed + 1;
    end if;
  end loop;

  -- Rows that name the person without a foreign key to their profile.
  if v_email is not null then
    delete from public.family_invitations where lower(email) = lower(v_email);
  end if;
  delete from public.analytics_events where user_id = p_user;
  -- The spend ledger keeps no foreign key (its rows outlive deletions elsewhere for 40 days); an erasure is the
  -- one exception its guard allows (migration 20261207154505).
  perform set_config('lifecycle.erasing_account_id', v_id, true);
  delete from private.spend_ledger where user_id = p_user;
  delete from public.webhook_events
  where strpos(payload::text, v_id) > 0 or (v_email is not null and strpos(lower(payload::text), lower(v_email)) > 0);

  delete from auth.users where id = p_user;  -- the profile and every row that references it cascade
  delete from public.profiles where id = p_user;  -- a profile whose auth user was already gone

  -- The audit triggers copied the cascaded rows into audit_log; those copies and the person's own entries go.
  delete from public.audit_log a
  where a.user_id = p_user
     or strpos(coalesce(a.old_data::text, '') || coalesce(a.new_data::text, ''), v_id) > 0
     or (v_email is not null
         and strpos(lower(coalesce(a.old_data::text, '') || coalesce(a.new_data::text, '')), lower(v_email)) > 0);
  delete from private.storage_deletions where name like private.like_prefix(v_id || '/');

  insert into private.account_erasures (requested_by, requested_at, subscriptions_canceled, objects_removed,
                                        vaults_handed_over, vaults_dissolved)
  values (v_request.requested_by, v_request.requested_at, v_request.subscriptions_canceled,
          v_request.objects_removed, v_handed, v_dissolved)
  returning id into v_erasure;
  delete from private.account_deletions where user_id = p_user;
  return v_erasure;
end
$$;
revoke all on function private.erase_account(uuid) from public, anon, authenticated;
