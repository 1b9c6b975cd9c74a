-- Auth's password verification attempt hook (config.toml [auth.hook.password_verification_attempt]): after 5
-- failed password sign-ins within 15 minutes, password sign-in for that account is refused until 15 minutes
-- after the last failure, even with the right password, so guessing it costs an attacker hours per account
-- on top of Auth's per-IP rate limit and CAPTCHA. A right password outside a lockout clears the count.
-- The count is data Auth's own role writes; no API role can read or reset it.
create table if not exists private.password_failures (
  user_id uuid primary key references auth.users (id) on delete cascade,
  failures integer not null check (failures > 0),
  last_failed_at timestamptz not null
);
alter table private.password_failures enable row level security;
revoke all on private.password_failures from public, anon, authenticated, service_role;
grant usage on schema private to supabase_auth_admin;
grant select, insert, update, delete on private.password_failures to supabase_auth_admin;
drop policy if exists "Auth counts failed password sign-ins" on private.password_failures;
create policy "Auth counts failed password sign-ins" on private.password_failures
  to supabase_auth_admin using (true) with check (true);

-- Auth calls it with {"user_id": ..., "valid": true|false} after checking a password, as supabase_auth_admin.
create or replace function private.password_verification_attempt_hook(event jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  account uuid := (event ->> 'user_id')::uuid;
  window_length constant interval := interval '15 minutes';
  allowed_failures constant integer := 5;
  counted_row private.password_failures;
begin
  select * into counted_row from private.password_failures where user_id = account for update;
  if found and counted_row.failures >= allowed_failures and counted_row.last_failed_at > now() - window_length then
    return jsonb_build_object(
      'decision', 'reject',
      'message', 'Too many failed sign-in attempts. Try again in 15 minutes, or reset your password.',
      'should_logout_user', false
    );
  end if;
  if (event ->> 'valid')::boolean then
    delete from private.password_failures where user_id = account;
  else
    insert into private.password_failures as counted (user_id, failures, last_failed_at)
    values (account, 1, now())
    on conflict (user_id) do update set
      -- a failure after a quiet window starts a new count
      failures = case when counted.last_failed_at > now() - window_length then counted.failures + 1 else 1 end,
      last_failed_at = now();
  end if;
  return jsonb_build_object('decision', 'continue');
end;
$$;
revoke all on function private.password_verification_attempt_hook(jsonb) from public, anon, authenticated, service_role;
grant execute on function private.password_verification_attempt_hook(jsonb) to supabase_auth_admin;
