-- Stand-ins for the three extensions a scheduled function needs, for a PostgreSQL that has none of them. Each
-- is written from the extension's published interface, with only what the schedule provider and its job use:
--   pg_cron  (https://github.com/citusdata/pg_cron): cron.job, cron.schedule(job_name, schedule, command) that
--            inserts or, for an existing name, updates the job and returns its id; cron.unschedule(job_name);
--   pg_net   (https://github.com/supabase/pg_net): net.http_post(url, body, params, headers, timeout_milliseconds)
--            returning a request id; the request is queued in net.http_request_queue, sent later by a worker;
--   Vault    (https://github.com/supabase/vault): vault.secrets, vault.create_secret(new_secret, new_name,
--            new_description, new_key_id) returning the id, vault.update_secret(secret_id, new_secret, ...),
--            vault.decrypted_secrets (the real one decrypts; here the value is stored as is).
create schema cron;
create table cron.job (
  jobid bigserial primary key, schedule text not null, command text not null, nodename text default 'localhost',
  nodeport integer default 5432, database text default current_database(), username text default current_user,
  active boolean default true, jobname text unique
);
create function cron.schedule(job_name text, schedule text, command text) returns bigint language sql as $$
  insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
  on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command
  returning jobid
$$;
create function cron.unschedule(job_name text) returns boolean language plpgsql as $$
begin
  delete from cron.job where jobname = job_name;
  if not found then raise exception 'could not find valid entry for job ''%''', job_name; end if;
  return true;
end
$$;

create schema net;
create table net.http_request_queue (
  id bigserial primary key, method text not null, url text not null, headers jsonb not null, body bytea,
  timeout_milliseconds integer not null
);
create function net.http_post(
  url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer default 5000
) returns bigint language sql as $$
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', url, headers, convert_to(body::text, 'utf8'), timeout_milliseconds)
  returning id
$$;

create schema vault;
create table vault.secrets (
  id uuid primary key default gen_random_uuid(), name text unique, description text not null default '',
  secret text not null, key_id uuid, nonce bytea, created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create function vault.create_secret(
  new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null
) returns uuid language sql as $$
  insert into vault.secrets (secret, name, description, key_id) values (new_secret, new_name, new_description, new_key_id)
  returning id
$$;
create function vault.update_secret(
  secret_id uuid, new_secret text default null, new_name text default null, new_description text default null,
  new_key_id uuid default null
) returns void language sql as $$
  update vault.secrets
  set secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
      description = coalesce(new_description, description), updated_at = now()
  where id = secret_id
$$;
create view vault.decrypted_secrets as
  select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at
  from vault.secrets;
