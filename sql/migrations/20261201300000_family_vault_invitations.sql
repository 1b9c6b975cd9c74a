-- The family vault's invitations (family-vault function): a vault admin invites an e-mail address, the account
-- with that (confirmed) address accepts, and only then becomes a member. Members are no longer added directly:
-- being put into someone's vault without consent is how shared-document spam starts. Who may hand out the admin
-- role is also decided here: the vault's owner only.

-- ---------------------------------------------------------------- family_invitations
create table if not exists public.family_invitations (
  id uuid primary key default gen_random_uuid(),
  vault_id uuid not null references public.family_vaults (id) on delete cascade,
  -- Stored lower-case, so the pending-invitation index and the acceptance compare like with like.
  email text not null check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' and length(email) <= 320),
  role text not null default 'member' check (role in ('admin', 'member', 'viewer')),
  invited_by uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  -- The vault's name when invited (set by the trigger below): the invitee cannot read the vault until they join.
  vault_name text,
  status text not null default 'pending' check (status in ('pending', 'accepted', 'revoked')),
  expires_at timestamptz not null default now() + interval '14 days',
  accepted_by uuid references public.profiles (id) on delete set null,
  accepted_at timestamptz,
  created_at timestamptz not null default now()
);
-- One open invitation per address and vault: inviting again returns the same one.
create unique index if not exists idx_family_invitations_pending
  on public.family_invitations (vault_id, email) where status = 'pending';
create index if not exists idx_family_invitations_email on public.family_invitations (email) where status = 'pending';
create index if not exists idx_family_invitations_inviter on public.family_invitations (invited_by, created_at desc);

-- The caller's sign-in address, confirmed by Supabase Auth. Not profiles.email: users edit that column, and an
-- invitation must go to whoever proved they own the address.
create or replace function private.my_confirmed_email()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select lower(u.email) from auth.users u where u.id = auth.uid() and u.email_confirmed_at is not null);
end
$$;
revoke all on function private.my_confirmed_email() from public, anon;
grant execute on function private.my_confirmed_email() to authenticated, service_role;

create or replace function private.is_family_owner(p_vault uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.family_vaults v where v.id = p_vault and v.owner_id = auth.uid());
end
$$;
revoke all on function private.is_family_owner(uuid) from public, anon;
grant execute on function private.is_family_owner(uuid) to authenticated, service_role;

-- Invitations cost the invitee's attention and, once e-mailed, money: a vault keeps at most 25 open ones and 50
-- members, and one user sends at most 50 invitations a day, whatever the number of vaults they create.
create or replace function private.limit_family_invitations()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_open integer;
  v_members integer;
  v_sent_today integer;
begin
  perform 1 from public.profiles where id = new.invited_by for update;
  select count(*) into v_sent_today from public.family_invitations
  where invited_by = new.invited_by and created_at > now() - interval '24 hours';
  if v_sent_today >= 50 then
    raise exception 'user % sent 50 invitations in the last 24 hours', new.invited_by
      using errcode = '53400', hint = 'Try again tomorrow.';
  end if;
  select v.name into new.vault_name from public.family_vaults v where v.id = new.vault_id for update;
  select count(*) into v_open from public.family_invitations where vault_id = new.vault_id and status = 'pending';
  select count(*) into v_members from public.family_members where vault_id = new.vault_id;
  if v_open >= 25 then
    raise exception 'vault % already has 25 open invitations', new.vault_id
      using errcode = '53400', hint = 'Revoke unanswered invitations before sending more.';
  end if;
  if v_members + v_open >= 50 then
    raise exception 'vault % would pass 50 members with its open invitations', new.vault_id
      using errcode = '53400', hint = 'Remove members or revoke invitations first.';
  end if;
  return new;
end
$$;
revoke all on function private.limit_family_invitations() from public, anon, authenticated;
create or replace trigger family_invitations_limit
  before insert on public.family_invitations
  for each row execute function private.limit_family_invitations();

alter table public.family_invitations enable row level security;
revoke all on table public.family_invitations from public, anon, authenticated;
grant select, delete on table public.family_invitations to authenticated;
grant insert (vault_id, email, role, invited_by) on table public.family_invitations to authenticated;
grant update (status) on table public.family_invitations to authenticated;
grant all on table public.family_invitations to service_role;

drop policy if exists "Vault admins and invitees read invitations" on public.family_invitations;
create policy "Vault admins and invitees read invitations" on public.family_invitations
  for select to authenticated
  using ((select private.is_family_admin(vault_id)) or email = (select private.my_confirmed_email()));
-- Admins invite members and viewers; only the owner invites an admin.
drop policy if exists "Vault admins invite" on public.family_invitations;
create policy "Vault admins invite" on public.family_invitations
  for insert to authenticated
  with check (
    invited_by = (select auth.uid())
    and status = 'pending'
    and (select private.is_family_admin(vault_id))
    and (role <> 'admin' or (select private.is_family_owner(vault_id)))
  );
-- Revoking is the only edit; accepting goes through private.accept_family_invitation.
drop policy if exists "Vault admins revoke invitations" on public.family_invitations;
create policy "Vault admins revoke invitations" on public.family_invitations
  for update to authenticated
  using ((select private.is_family_admin(vault_id)) and status = 'pending')
  with check ((select private.is_family_admin(vault_id)) and status = 'revoked');
drop policy if exists "Vault admins delete invitations" on public.family_invitations;
create policy "Vault admins delete invitations" on public.family_invitations
  for delete to authenticated using ((select private.is_family_admin(vault_id)));

create or replace trigger audit_family_invitations
  after insert or update or delete on public.family_invitations
  for each row execute function private.audit_row_change();

-- ---------------------------------------------------------------- accepting
-- The invitee (matched by confirmed e-mail) becomes a member with the invited role. SQLSTATE P0002 when there is
-- no such pending invitation for the caller (another address's invitation looks the same: it is not theirs),
-- 22023 when it expired. Accepting twice returns the same membership.
create or replace function private.accept_family_invitation(p_invitation uuid)
returns table (vault_id uuid, member_id uuid, role text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_invitation public.family_invitations%rowtype;
  v_member uuid;
  v_role text;
begin
  select * into v_invitation from public.family_invitations i where i.id = p_invitation for update;
  if not found or v_invitation.email is distinct from private.my_confirmed_email() then
    raise exception 'no invitation % for this account', p_invitation using errcode = 'P0002';
  end if;
  if v_invitation.status = 'accepted' and v_invitation.accepted_by = auth.uid() then
    select m.id, m.role into v_member, v_role
    from public.family_members m where m.vault_id = v_invitation.vault_id and m.user_id = auth.uid();
    if found then
      return query select v_invitation.vault_id, v_member, v_role;
      return;
    end if;
  end if;
  if v_invitation.status <> 'pending' then
    raise exception 'invitation % is %', p_invitation, v_invitation.status using errcode = 'P0002';
  end if;
  if v_invitation.expires_at <= now() then
    raise exception 'invitation % expired at %', p_invitation, v_invitation.expires_at using errcode = '22023';
  end if;
  insert into public.family_members (vault_id, user_id, role, invited_by)
  values (v_invitation.vault_id, auth.uid(), v_invitation.role, v_invitation.invited_by)
  on conflict on constraint family_members_vault_id_user_id_key do nothing;
  select m.id, m.role into v_member, v_role
  from public.family_members m where m.vault_id = v_invitation.vault_id and m.user_id = auth.uid();
  update public.family_invitations
  set status = 'accepted', accepted_by = auth.uid(), accepted_at = now()
  where id = p_invitation;
  return query select v_invitation.vault_id, v_member, v_role;
end
$$;
revoke all on function private.accept_family_invitation(uuid) from public, anon;
grant execute on function private.accept_family_invitation(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------- members: only through invitations
drop policy if exists "Vault admins add members" on public.family_members;
revoke insert on table public.family_members from authenticated;

-- Who changes roles: admins change members and viewers; the admin role is granted and taken away only by the
-- owner (an admin cannot make a friend admin, nor demote or remove a fellow admin). The owner's own row is
-- never edited by users (the policies exclude role 'owner'). Calls without a user (the backend) are not checked.
create or replace function private.guard_family_admin_role()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_vault uuid := coalesce(new.vault_id, old.vault_id);
  v_touches_admin boolean;
begin
  if auth.uid() is null then
    return coalesce(new, old);
  end if;
  -- The vault itself is being deleted (by its owner: the cascade removes every member).
  if tg_op = 'DELETE' and not exists (select 1 from public.family_vaults v where v.id = v_vault) then
    return old;
  end if;
  if tg_op = 'DELETE' then
    -- Leaving is always allowed.
    v_touches_admin := old.role = 'admin' and old.user_id <> auth.uid();
  else
    v_touches_admin := old.role = 'admin' or new.role = 'admin';
  end if;
  if v_touches_admin and not private.is_family_owner(v_vault) then
    raise exception 'only the vault owner grants, changes or removes the admin role'
      using errcode = '42501', hint = 'Ask the vault owner.';
  end if;
  return coalesce(new, old);
end
$$;
revoke all on function private.guard_family_admin_role() from public, anon, authenticated;
create or replace trigger family_members_guard_admin_role
  before update of role or delete on public.family_members
  for each row execute function private.guard_family_admin_role();
