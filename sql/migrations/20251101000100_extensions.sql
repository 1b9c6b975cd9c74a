-- Extensions, helper schemas and default privileges for the platform schema.
-- Every statement is safe to run again: this file, like every migration here, is idempotent.

-- vector: document embeddings (guide 002); pg_trgm: fuzzy title search (guide 002).
-- Supabase keeps extensions in their own schema so they stay out of the API's public schema.
create extension if not exists vector with schema extensions;
create extension if not exists pg_trgm with schema extensions;

-- pg_stat_statements (slow-query monitoring, guide 002) and pg_cron (the health check schedule) exist on
-- Supabase but not on every PostgreSQL; create them only where the server ships them, so this file
-- applies cleanly everywhere. Later migrations test for pg_cron the same way before scheduling jobs.
do $$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_stat_statements') then
    execute 'create extension if not exists pg_stat_statements with schema extensions';
  end if;
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
    -- Supabase's documented placement: the extension in pg_catalog, its tables in schema cron.
    execute 'create extension if not exists pg_cron with schema pg_catalog';
    execute 'grant usage on schema cron to postgres';
  end if;
end
$$;

-- private: helper functions used by policies and triggers. PostgREST exposes only public, so nothing here
-- is reachable over the API; the API roles get USAGE so that policies evaluated as them can call helpers.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- partitions: the partitions of partitioned tables. Kept out of public so they are reachable only through
-- their parent, where the parent's row-level security policies apply; the API roles get no access here.
create schema if not exists partitions;
revoke all on schema partitions from public;
grant usage on schema partitions to service_role;

-- Appendix C of guide 000: nothing is granted by default. Supabase's default privileges hand every new
-- table, sequence and function in public to anon and authenticated; each migration grants what its RLS
-- policies expect instead. (Only the defaults of objects created by postgres, the migrations' role.)
alter default privileges for role postgres in schema public revoke all on tables from public, anon, authenticated;
alter default privileges for role postgres in schema public revoke all on sequences from public, anon, authenticated;
alter default privileges for role postgres in schema public revoke execute on functions from public, anon, authenticated;
alter default privileges for role postgres in schema private revoke execute on functions from public, anon, authenticated;
alter default privileges for role postgres in schema public grant all on tables to service_role;
alter default privileges for role postgres in schema public grant all on sequences to service_role;
alter default privileges for role postgres in schema public grant execute on functions to service_role;
revoke all on all tables in schema public from public, anon, authenticated;
revoke execute on all functions in schema public from public, anon, authenticated;

-- updated_at kept current by a trigger on every table that has the column.
create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
revoke all on function private.set_updated_at() from public, anon, authenticated;
