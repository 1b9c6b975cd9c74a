-- Prepares a plain PostgreSQL like a hosted Supabase database, so the migrations in
-- sql/migrations run locally exactly as they do on Supabase. Run once, as the bootstrap
-- superuser (supabase_admin), on a fresh cluster. Not a migration: Supabase already has all of it.
--
-- What it reproduces, and why the migrations depend on it:
--   * roles: postgres (the migrations' owner, not a superuser, BYPASSRLS as on Supabase),
--     anon / authenticated / service_role (the API roles RLS policies name),
--     authenticator (PostgREST's login role that switches into them);
--   * auth.users and auth.uid() / auth.role() / auth.jwt() / auth.email(), which read the
--     request.jwt.claims setting the way Supabase's functions do;
--   * storage.buckets / storage.objects with Supabase's columns, and storage.foldername();
--   * the extensions schema with vector, pg_trgm (and pg_stat_statements where shipped) already created: on Supabase the
--     non-superuser postgres may create them (supautils does it on its behalf), so here the
--     bootstrap creates them and a migration's CREATE EXTENSION IF NOT EXISTS finds them.

\set ON_ERROR_STOP on

create role postgres login createdb createrole bypassrls;
create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
create role supabase_auth_admin nologin noinherit createrole;
create role supabase_storage_admin nologin noinherit createrole;
-- On Supabase the dashboard's postgres role can add triggers to auth.users and policies to
-- storage.objects; membership in the owning roles gives it that here.
grant supabase_auth_admin, supabase_storage_admin to postgres;

alter database postgres owner to postgres;
alter database postgres set search_path to "$user", public, extensions;

create schema extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
create extension if not exists vector with schema extensions;
create extension if not exists pg_trgm with schema extensions;
-- Supabase's image creates pg_stat_statements as a superuser; the migration's guarded create then finds it.
-- Created only where the server ships it (a system PostgreSQL through PG_BIN_DIR may not).
select exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_stat_statements')
    as has_pg_stat_statements \gset
\if :has_pg_stat_statements
create extension if not exists pg_stat_statements with schema extensions;
\endif
-- supautils lets Supabase's postgres role set the slow-statement log threshold on roles (a superuser-only
-- setting elsewhere); this privilege does the same here.
grant set on parameter log_min_duration_statement to postgres;

-- public: Supabase grants the API roles usage; table privileges come from the migrations.
grant usage on schema public to anon, authenticated, service_role;
grant all on schema public to postgres;

-- ---------------------------------------------------------------- auth
create schema auth authorization supabase_auth_admin;
grant usage on schema auth to postgres, anon, authenticated, service_role;

create table auth.users (
    instance_id uuid,
    id uuid primary key,
    aud varchar(255),
    role varchar(255),
    email varchar(255) unique,
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    recovery_token varchar(255),
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb default '{}'::jsonb,
    raw_user_meta_data jsonb default '{}'::jsonb,
    is_super_admin boolean,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    phone text unique,
    phone_confirmed_at timestamptz,
    banned_until timestamptz,
    deleted_at timestamptz,
    is_anonymous boolean not null default false
);
alter table auth.users owner to supabase_auth_admin;
grant all on auth.users to postgres, service_role;

create function auth.uid() returns uuid language sql stable as $$
  select nullif(
    coalesce(current_setting('request.jwt.claim.sub', true),
             (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')),
    '')::uuid
$$;
create function auth.role() returns text language sql stable as $$
  select nullif(
    coalesce(current_setting('request.jwt.claim.role', true),
             (current_setting('request.jwt.claims', true)::jsonb ->> 'role')),
    '')::text
$$;
create function auth.email() returns text language sql stable as $$
  select nullif(
    coalesce(current_setting('request.jwt.claim.email', true),
             (current_setting('request.jwt.claims', true)::jsonb ->> 'email')),
    '')::text
$$;
create function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on all functions in schema auth to postgres, anon, authenticated, service_role;

-- ---------------------------------------------------------------- storage
create schema storage authorization supabase_storage_admin;
grant usage on schema storage to postgres, anon, authenticated, service_role;

create table storage.buckets (
    id text primary key,
    name text not null unique,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[]
);
create table storage.objects (
    id uuid primary key default gen_random_uuid(),
    bucket_id text references storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    user_metadata jsonb,
    unique (bucket_id, name)
);
alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
grant all on storage.buckets, storage.objects to postgres, service_role;
grant all on storage.buckets, storage.objects to anon, authenticated;

create function storage.foldername(name text) returns text[] language plpgsql immutable as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$$;
create function storage.filename(name text) returns text language plpgsql immutable as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;
create function storage.extension(name text) returns text language plpgsql immutable as $$
declare
  _parts text[];
  _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$$;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
grant execute on all functions in schema storage to postgres, anon, authenticated, service_role;
