-- Secrets users store (issue 26, part 6). The platform keeps no credential of a user's: no function reads one
-- from integrations or webhooks (outgoing webhooks carry no signing secret), so nothing should be stored, and the
-- stack stops accepting ENCRYPTION_KEY, which encrypted nothing. To keep it so, integrations.config (free-form
-- JSON the user writes through the Data API) refuses keys that name a credential at any depth: a token pasted
-- there would otherwise sit in plain text in the table, the backups and every restore.

-- The keys of p_value, at any depth, that name a credential (api_key, accessToken, client-secret, password...).
create or replace function private.credential_keys(p_value jsonb)
returns text[]
language sql
immutable
set search_path = ''
as $$
  with recursive walk(value) as (
    select p_value
    union all
    select child.value
    from walk,
         lateral (
           select e.value from jsonb_each(case when jsonb_typeof(walk.value) = 'object' then walk.value end) e
           union all
           select a.value from jsonb_array_elements(case when jsonb_typeof(walk.value) = 'array' then walk.value end) a
         ) child
  )
  select coalesce(array_agg(distinct k.key order by k.key), '{}')
  from walk,
       lateral jsonb_object_keys(case when jsonb_typeof(walk.value) = 'object' then walk.value end) k(key),
       -- The key's words: camelCase and any separator split (accessToken -> access, token).
       lateral (select regexp_split_to_array(
                  lower(regexp_replace(k.key, '([a-z0-9])([A-Z])', '\1_\2', 'g')), '[^a-z0-9]+') as words) w
  where w.words && array['secret', 'password', 'passwd', 'passphrase', 'apikey', 'token', 'credential',
                         'credentials', 'pwd', 'pass', 'dsn', 'salt', 'privatekey']
     -- api_key, access-key, privateKey, key; not monkey or keyboard. Plural words (tokens_per_minute) are counts.
     or w.words[array_length(w.words, 1)] = 'key'
     or lower(k.key) ~ '(secret|password|passwd|apikey|credential)'
$$;
revoke all on function private.credential_keys(jsonb) from public, anon;
grant execute on function private.credential_keys(jsonb) to authenticated, service_role;

-- NOT VALID: rows written before are not rewritten (an operator reviews them with the query in docs/data.md);
-- every new or changed row is checked.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint where conname = 'integrations_config_holds_no_credentials') then
    alter table public.integrations add constraint integrations_config_holds_no_credentials
      check (private.credential_keys(config) = '{}') not valid;
  end if;
end
$$;
