-- Family invitations counted in the spend ledger (issue 20, hole 5). The daily limit counted the inviter's own
-- family_invitations rows, which vault admins may delete: invite 50, delete them, invite 50 more (75 e-mails an
-- hour from one free account). Each new invitation now reserves one unit of family_invitations in
-- private.spend_ledger (append-only, see 20261207143909), against the inviter's tier's daily budget
-- (private.spend_tier_limits); deleting or revoking invitations gives nothing back. The per-vault bounds (25 open
-- invitations, 50 members) are about the vault's state, not a count over time, and stay as they were.
-- Idempotent like every migration here: running it again changes nothing.

create or replace function private.limit_family_invitations()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_open integer;
  v_members integer;
  v_budget record;
begin
  select v.name into new.vault_name from public.family_vaults v where v.id = new.vault_id for update;
  -- Inviting an address that already has an open invitation to the vault returns that one (the insert's
  -- "on conflict do nothing"): nothing new is sent, so nothing is counted.
  if exists (select 1 from public.family_invitations i
             where i.vault_id = new.vault_id and i.email = new.email and i.status = 'pending') then
    return new;
  end if;
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
  select * into v_budget from private.reserve_spend(new.invited_by, 'family_invitations', 1, 'family-vault');
  if not v_budget.allowed then
    -- The detail is for family-vault, which answers it as a 429 naming the budget and its reset.
    raise exception 'the % tier sends at most % family invitations a day', v_budget.tier, v_budget.daily_limit
      using errcode = '53400',
            detail = jsonb_build_object('unit', 'family_invitations', 'tier', v_budget.tier,
                                        'daily_limit', v_budget.daily_limit, 'used', v_budget.used,
                                        'resets_at', v_budget.resets_at)::text,
            hint = 'Try again after the budget resets at midnight UTC.';
  end if;
  return new;
end
$$;
revoke all on function private.limit_family_invitations() from public, anon, authenticated;
