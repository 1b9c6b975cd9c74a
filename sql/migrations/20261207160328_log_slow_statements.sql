-- Guide 002's `log_min_duration_statement = 1000`, the way Supabase permits it: not ALTER SYSTEM (refused on
-- Supabase), but on the postgres role, which supautils lets postgres change. It covers what connects as
-- postgres (migrations, backups, the operator CLI); the Data API's roles and every other statement are
-- covered by pg_stat_statements and the scraper's SlowStatements alarm (docs/runbooks.md). New sessions
-- pick it up; a slow statement then appears in the project's Postgres logs with its duration.
--
-- A database that does not grant it (a local cluster prepared before this setting was allowed) keeps
-- working without the log lines, and says so, rather than failing the deploy.
do $$
begin
  alter role postgres set log_min_duration_statement = '1s';
exception when insufficient_privilege then
  raise warning 'slow statements are not logged: this database does not let postgres set '
    'log_min_duration_statement (on Supabase it may; locally: ops local-db reset)';
end
$$;
