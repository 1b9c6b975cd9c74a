-- An account erasure and the spend ledger (issue 26 meets issue 20). private.spend_ledger is append-only and keeps
-- every row for 40 days, so that deleting one's own rows elsewhere gives no budget back; it names the account
-- (user_id, no foreign key) and so outlived an erasure. An erased account has no budget left to win back, so
-- its rows may go: the guard lets a delete through only inside private.erase_account, which marks the
-- transaction with the account's id (lifecycle.erasing_account_id); nothing else can set that and also delete,
-- since no API role may delete from the ledger at all. Updates stay refused for everyone.
create or replace function private.spend_ledger_append_only()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' then
    raise exception 'private.spend_ledger is append-only: record a settlement instead of changing a row'
      using errcode = '42501';
  end if;
  if old.user_id::text = current_setting('lifecycle.erasing_account_id', true) then
    return old;
  end if;
  if old.day >= (now() at time zone 'utc')::date - 40 then
    raise exception 'private.spend_ledger keeps its rows for 40 days; row % is from %', old.id, old.day
      using errcode = '42501';
  end if;
  return old;
end
$$;
revoke all on function private.spend_ledger_append_only() from public, anon, authenticated;
