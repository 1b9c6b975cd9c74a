-- Object keys stored in rows are canonical (issue 20, hole 1). documents.file_path was checked only by its first
-- segment, so '<own id>/../<owner id>/<doc>/passport.pdf' passed; the backend then signed it with the service
-- role and Storage collapsed the dot segments onto another user's object. A key is canonical when it is
-- '<owner id>/<segment>[/<segment>...]' with no empty, '.' or '..' segment, no backslash, no percent-escape
-- (encoded dots or slashes, or double encoding), no control character, at most 1024 characters. The same rule
-- is functions/_shared/object_key.ts (every sign, download, upload) and ops/object_keys.py (backups, restores).
--
-- The rule is a trigger on each key column rather than a CHECK: it judges a key whenever it is written, for every
-- role, and a row written before this migration stays updatable (a CHECK left NOT VALID would refuse every later
-- update of it, the worker's "failed" included). Those rows are not rewritten and do not stop the deploy: each
-- one that breaks the rule is listed in private.noncanonical_object_keys (with the reason) and announced by a
-- WARNING in the deploy log, and a document among them is marked failed so nothing processes it; the functions
-- refuse their keys all the same. docs/runbooks.md says what the operator does.

-- ---------------------------------------------------------------- the rule
-- Null when `p_key` is a canonical key of `p_owner`'s folder, else what is wrong with it (for the quarantine).
create or replace function private.object_key_problem(p_key text, p_owner uuid)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when p_key is null then 'is missing'
    when length(p_key) > 1024 then 'is longer than 1024 characters'
    when p_key ~ '\\' then 'holds a backslash'
    when p_key ~ '%[0-9A-Fa-f]{2}' then 'holds a percent-escape'
    when p_key ~ '[[:cntrl:]]' then 'holds a control character'
    when p_key ~ '(^|/)\.\.?(/|$)' then 'holds a "." or ".." segment'
    when p_key ~ '(^/|//|/$)' then 'holds an empty segment'
    when p_owner is null or split_part(p_key, '/', 1) <> p_owner::text then 'does not start with its owner''s id'
    when strpos(p_key, '/') = 0 then 'names no object inside its owner''s folder'
  end
$$;

create or replace function private.is_canonical_object_key(p_key text, p_owner uuid)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select private.object_key_problem(p_key, p_owner) is null
$$;

-- Pure functions of their arguments: every role that writes the tables evaluates them in the triggers and
-- policies below.
revoke all on function private.object_key_problem(text, uuid) from public, anon;
revoke all on function private.is_canonical_object_key(text, uuid) from public, anon;
grant execute on function private.object_key_problem(text, uuid) to authenticated, service_role;
grant execute on function private.is_canonical_object_key(text, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------- what was already there
create table if not exists private.noncanonical_object_keys (
  table_name text not null,
  row_id uuid not null,
  object_key text not null,
  problem text not null,
  found_at timestamptz not null default now(),
  primary key (table_name, row_id, object_key)
);
alter table private.noncanonical_object_keys enable row level security;
revoke all on table private.noncanonical_object_keys from public, anon, authenticated;

insert into private.noncanonical_object_keys (table_name, row_id, object_key, problem)
select 'documents', d.id, d.file_path, private.object_key_problem(d.file_path, d.user_id)
from public.documents d where not private.is_canonical_object_key(d.file_path, d.user_id)
union all
select 'automation_jobs', j.id, j.result_path, private.object_key_problem(j.result_path, j.user_id)
from public.automation_jobs j
where j.result_path is not null and not private.is_canonical_object_key(j.result_path, j.user_id)
union all
select 'support_tickets', t.id, k.key, private.object_key_problem(k.key, t.user_id)
from public.support_tickets t cross join lateral unnest(t.attachment_paths) as k (key)
where not private.is_canonical_object_key(k.key, t.user_id)
on conflict do nothing;

-- Such a document is never processed nor handed out: its owner sees why and uploads the file again.
update public.processing_queue q set status = 'failed', last_error = 'the file path is not canonical'
from private.noncanonical_object_keys n
where n.table_name = 'documents' and n.row_id = q.document_id and q.status in ('queued', 'processing');
update public.documents d
set status = 'failed', processing_error = 'The file path is not canonical; delete this document and upload it again'
from private.noncanonical_object_keys n
where n.table_name = 'documents' and n.row_id = d.id and d.status <> 'failed';

-- ---------------------------------------------------------------- the rule on every write
-- Refuses (SQLSTATE 23514, named like a constraint: <table>_<column>_canonical) a row whose key is not canonical.
create or replace function private.require_canonical_object_keys()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_column text;
  v_key text;
  v_problem text;
begin
  if tg_table_name = 'documents' then
    v_column := 'file_path';
    v_key := new.file_path;
    v_problem := private.object_key_problem(new.file_path, new.user_id);
  elsif tg_table_name = 'automation_jobs' then
    v_column := 'result_path';
    v_key := new.result_path;
    v_problem := case when new.result_path is not null then private.object_key_problem(new.result_path, new.user_id) end;
  elsif tg_table_name = 'support_tickets' then
    v_column := 'attachment_paths';
    select k, private.object_key_problem(k, new.user_id) into v_key, v_problem
    from unnest(new.attachment_paths) k where not private.is_canonical_object_key(k, new.user_id) limit 1;
  end if;
  if v_problem is not null then
    raise exception '%_%_canonical: the object key % %', tg_table_name, v_column, quote_literal(v_key), v_problem
      using errcode = '23514', constraint = format('%s_%s_canonical', tg_table_name, v_column),
            hint = 'Store keys as ''<owner id>/<name>...'' with no empty, "." or ".." segment, backslash or '
                   || 'percent-escape.';
  end if;
  return new;
end
$$;
revoke all on function private.require_canonical_object_keys() from public, anon, authenticated;

create or replace trigger documents_file_path_canonical
  before insert or update of file_path, user_id on public.documents
  for each row execute function private.require_canonical_object_keys();
create or replace trigger automation_jobs_result_path_canonical
  before insert or update of result_path, user_id on public.automation_jobs
  for each row execute function private.require_canonical_object_keys();
create or replace trigger support_tickets_attachment_paths_canonical
  before insert or update of attachment_paths, user_id on public.support_tickets
  for each row execute function private.require_canonical_object_keys();

do $$
declare
  v_table text;
  v_count integer;
begin
  for v_table, v_count in
    select n.table_name, count(*) from private.noncanonical_object_keys n group by n.table_name order by 1
  loop
    raise warning '% rows of public.% hold object keys that are not canonical', v_count, v_table
      using hint = 'They are listed in private.noncanonical_object_keys; see docs/runbooks.md, '
                   '"Object keys that are not canonical".';
  end loop;
end
$$;

-- ---------------------------------------------------------------- Storage
-- A user writes only canonical names inside their own folder: '<id>/../<other id>/x' starts with their id too.
drop policy if exists "Users upload into their own folder" on storage.objects;
create policy "Users upload into their own folder" on storage.objects
  for insert to authenticated
  with check (
    (storage.foldername(name))[1] = (select auth.uid()::text)
    and private.is_canonical_object_key(name, (select auth.uid()))
  );

drop policy if exists "Users replace files in their own folder" on storage.objects;
create policy "Users replace files in their own folder" on storage.objects
  for update to authenticated
  using ((storage.foldername(name))[1] = (select auth.uid()::text))
  with check (
    (storage.foldername(name))[1] = (select auth.uid()::text)
    and private.is_canonical_object_key(name, (select auth.uid()))
  );
