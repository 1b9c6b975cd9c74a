-- What strangers can read about people (issue 20): anyone without an account, or another user, learns no account
-- id and no e-mail address they were not given, and not who used which professional.
--
-- 1. professionals.user_id: the directory is public (anon browses it), and PostgREST served every column of it,
--    so /rest/v1/professionals?select=user_id listed the account id behind every verified listing.
-- 2. professional_reviews.reviewer_id: reviews are public, and each named its reviewer's account id: who used
--    which professional, for every review ever written.
-- 3. family_invitations: the invitee read the whole row before joining, the inviter's account id (invited_by)
--    included; an invitation typed to the wrong address handed that id to a stranger.
--
-- Column privileges close 1 and 2 for anon and authenticated alike (a policy cannot hide a column). Everything
-- else stays readable, so clients select the columns they show (PostgREST's select=* asks for the hidden ones
-- too and is refused). The owner of a listing or review edits it through the update policies, which still
-- match on user_id / reviewer_id: a policy's own expression needs no column privilege.

do $$
declare
  v_table text;
  v_hidden text[];
  v_columns text;
begin
  for v_table, v_hidden in values
    ('professionals', array['user_id']),
    ('professional_reviews', array['reviewer_id'])
  loop
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into v_columns
    from pg_attribute a
    where a.attrelid = format('public.%I', v_table)::regclass and a.attnum > 0 and not a.attisdropped
      and a.attname <> all (v_hidden);
    execute format('revoke select on table public.%I from anon, authenticated', v_table);
    execute format('grant select (%s) on table public.%I to anon, authenticated', v_columns, v_table);
  end loop;
end
$$;

-- ---------------------------------------------------------------- 3. invitations, as their invitee sees them
-- Vault admins read their vaults' invitations in full; the invitee reads only what answering needs, through this
-- function (family-vault's list_invitations), never the table itself.
drop policy if exists "Vault admins and invitees read invitations" on public.family_invitations;
drop policy if exists "Vault admins read invitations" on public.family_invitations;
create policy "Vault admins read invitations" on public.family_invitations
  for select to authenticated using ((select private.is_family_admin(vault_id)));

create or replace function private.my_family_invitations()
returns table (
  id uuid, vault_id uuid, vault_name text, email text, role text, status text, expires_at timestamptz,
  created_at timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  select i.id, i.vault_id, i.vault_name, i.email, i.role, i.status, i.expires_at, i.created_at
  from public.family_invitations i
  where i.email = private.my_confirmed_email() and i.status = 'pending' and i.expires_at > now()
  order by i.created_at
$$;
revoke all on function private.my_family_invitations() from public, anon;
grant execute on function private.my_family_invitations() to authenticated, service_role;
