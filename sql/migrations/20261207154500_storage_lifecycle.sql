-- Storage that matches the rows (issue 26, part 1). Nothing used to leave Storage: the objects of deleted or
-- failed documents, of uploads never confirmed, and their thumbnails stayed for ever and kept counting against
-- the quota (storage_used is the sum of storage.objects).
--
-- The database cannot remove a file itself (a row deleted from storage.objects leaves the bytes in Storage's
-- backend, and Supabase refuses such deletes), so it keeps a durable to-do list, private.storage_deletions, that
-- the lifecycle job (`ops storage sweep`, ops/lifecycle) drains through Storage's API: Storage then removes the
-- bytes and its storage.objects row, and the quota trigger lowers storage_used. An entry leaves the list only
-- after Storage confirmed the delete, so a job killed halfway leaves the rest for the next run.
--
-- A document's derivatives (thumbnails, renders) live in the thumbnails bucket under its file path:
-- 'thumbnails/<documents.file_path>/<variant>'. Deleting the document queues them with its file.

-- ---------------------------------------------------------------- the to-do list
create table if not exists private.storage_deletions (
  bucket_id text not null,
  name text not null,
  reason text not null check (reason in (
    'document_deleted', 'failed_document', 'unconfirmed_upload', 'missing_object', 'orphan', 'account_deleted')),
  enqueued_at timestamptz not null default now(),
  -- Set when the key is not canonical: it is never sent to Storage, and waits for an operator (docs/data.md).
  problem text,
  primary key (bucket_id, name)
);
revoke all on table private.storage_deletions from public, anon, authenticated;

-- Where a sweep of one bucket stopped (the last name it finished), so a killed sweep resumes there.
create table if not exists private.storage_sweep_cursors (
  bucket_id text primary key,
  after_name text not null,
  started_at timestamptz not null default now()
);
revoke all on table private.storage_sweep_cursors from public, anon, authenticated;

-- One row per lifecycle run, for the metrics and for the operator: what was found and what left.
create table if not exists private.lifecycle_runs (
  id bigint generated always as identity primary key,
  task text not null check (task in ('storage_sweep', 'account_deletion', 'retention')),
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  counts jsonb not null default '{}'::jsonb
);
create index if not exists idx_lifecycle_runs_task_time on private.lifecycle_runs (task, finished_at desc);
revoke all on table private.lifecycle_runs from public, anon, authenticated;

-- A LIKE pattern matching exactly the names that start with p_prefix (its own % and _ taken literally).
create or replace function private.like_prefix(p_prefix text)
returns text
language sql
immutable
set search_path = ''
as $$
  select replace(replace(replace(p_prefix, '\', '\\'), '%', '\%'), '_', '\_') || '%'
$$;
revoke all on function private.like_prefix(text) from public, anon, authenticated;

-- ---------------------------------------------------------------- a deleted document queues its files
create or replace function private.queue_document_objects()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_reason text := coalesce(nullif(current_setting('lifecycle.deletion_reason', true), ''), 'document_deleted');
begin
  -- An account erasure removes every object of the account before its rows, so there is nothing to queue.
  if current_setting('lifecycle.erasing_account', true) = 'on' then
    return null;
  end if;
  insert into private.storage_deletions (bucket_id, name, reason)
  values ('documents', old.file_path, v_reason)
  on conflict (bucket_id, name) do nothing;
  insert into private.storage_deletions (bucket_id, name, reason)
  select o.bucket_id, o.name, v_reason
  from storage.objects o
  where o.bucket_id = 'thumbnails' and o.name like private.like_prefix(old.file_path || '/')
  on conflict (bucket_id, name) do nothing;
  return null;
end
$$;
revoke all on function private.queue_document_objects() from public, anon, authenticated;

drop trigger if exists documents_queue_objects on public.documents;
create trigger documents_queue_objects
  after delete on public.documents
  for each row execute function private.queue_document_objects();

-- ---------------------------------------------------------------- what the sweep finds
-- Of one page of a bucket (names after p_after, in name order), the objects older than p_grace that no row
-- owns: outside any user's folder, in the folder of a user who no longer exists, a documents object without
-- its document, a thumbnail whose document is gone. `last_name` is the page's last name (the next cursor),
-- returned on every row and on a single row with a null name when the page holds no orphan.
create or replace function private.storage_orphans_page(p_bucket text, p_after text, p_limit integer, p_grace interval)
returns table (name text, size bigint, reason text, last_name text, page_size integer)
language sql
stable
security definer
set search_path = ''
as $$
  with page as (
    select o.name, o.created_at, private.object_size(o.metadata) as size, private.object_owner(o.name) as owner
    from storage.objects o
    where o.bucket_id = p_bucket and o.name > p_after
    order by o.name
    limit p_limit
  ),
  verdicts as (
    select p.name, p.size,
      case
        when p.created_at > now() - p_grace then null
        when p.owner is null then 'outside_user_folder'
        when not exists (select 1 from public.profiles pr where pr.id = p.owner) then 'owner_gone'
        when p_bucket = 'documents'
          and not exists (select 1 from public.documents d where d.file_path = p.name) then 'no_document'
        when p_bucket = 'thumbnails'
          and not exists (select 1 from public.documents d
                          where d.file_path = regexp_replace(p.name, '/[^/]*$', '')) then 'no_document'
      end as reason
    from page p
  ),
  bounds as (select max(name) as last_name, count(*)::integer as page_size from page)
  select v.name, v.size, v.reason, b.last_name, b.page_size
  from bounds b left join verdicts v on v.reason is not null
$$;
revoke all on function private.storage_orphans_page(text, text, integer, interval) from public, anon, authenticated;
