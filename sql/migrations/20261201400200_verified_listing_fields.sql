-- A verified professional who changes what was verified (their name or profession) is no longer verified.
--
-- Verification is the platform's check of a person's credentials for a profession. Before this file a verified
-- professional could rename their listing or change its profession and stay verified in anon's eyes. Their
-- other fields (bio, rates, languages, availability) stay theirs to edit without losing the badge. The backend
-- (service_role) may correct these fields and keep the verification: it is the one that verifies.
create or replace function private.drop_verification_on_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- Security invoker: current_user is the caller's role.
  if current_user in ('anon', 'authenticated')
     and (new.display_name, new.profession) is distinct from (old.display_name, old.profession) then
    new.is_verified := false;
  end if;
  return new;
end
$$;
revoke all on function private.drop_verification_on_change() from public, anon, authenticated;

drop trigger if exists professionals_drop_verification on public.professionals;
create trigger professionals_drop_verification
  before update of display_name, profession on public.professionals
  for each row execute function private.drop_verification_on_change();
