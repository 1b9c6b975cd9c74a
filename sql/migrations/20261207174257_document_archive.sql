-- Archival (issue 26, part 5). A document not opened for the stack's retention.archiveAfterDays (180) moves from
-- Supabase Storage to the stack's archive bucket in S3 (storage class GLACIER_IR) and comes back when it is next
-- opened. The moves are made by the lifecycle job (`ops archive run`, ops/lifecycle/archive.py), outside the
-- database, in steps that each commit; docs/data.md ("Archival") tells the whole story.
--
-- Where a file is: public.documents.storage_tier ('standard': Storage; 'archived': the archive bucket), which the
-- app shows and users cannot write (their column grants on documents do not name it). The move itself is
-- private.document_archive, one entry per document whose file is (being) archived, with its state:
--   archiving   being copied to the archive; Storage's copy is the file
--   archived    the archive's copy is the file; Storage's copy, if still there, is a leftover the job removes
--   restoring   an open asked for it back; the archive's copy is the file until Storage holds it again
--   discarding  the document was deleted: the archive's copy is removed by the job, then the entry
-- A run killed between any two steps is finished by the next: the state says which copy is authoritative.
--
-- When it was opened: private.document_opens, written only by public.open_document() (the app calls it when it
-- shows a document; family-vault's download_url runs as the caller through it too). documents.accessed_at is
-- a column users may write, so it decides nothing here.
--
-- The quota: archived bytes count in full, as if they were still in Storage. Archiving is the operator's choice
-- to pay less, not the user's way to hold more: were archived bytes cheaper for the quota, a user could fill the
-- quota, wait for archival, and fill it again. An entry counts in profiles.storage_used while its state is
-- 'archived' or 'restoring' (Storage may not hold the bytes then); while both copies exist for a moment the bytes
-- count twice, which only ever narrows the user's room, never widens it.

-- ---------------------------------------------------------------- where the file is
alter table public.documents add column if not exists storage_tier text not null default 'standard';
do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'documents_storage_tier_known') then
    alter table public.documents add constraint documents_storage_tier_known
      check (storage_tier in ('standard', 'archived'));
  end if;
end
$$;
comment on column public.documents.storage_tier is
  'Where the file is: standard (Storage) or archived (the cold tier; public.open_document brings it back). '
  'Written by the archival job only.';

-- ---------------------------------------------------------------- when it was opened
create table if not exists private.document_opens (
  document_id uuid primary key references public.documents (id) on delete cascade,
  opened_at timestamptz not null default now()
);
revoke all on table private.document_opens from public, anon, authenticated;

-- ---------------------------------------------------------------- the moves
create table if not exists private.document_archive (
  -- No foreign key: a deleted document's entry stays (discarding) until its archived copy is gone.
  document_id uuid primary key,
  user_id uuid not null,
  file_path text not null,  -- the object's name in the documents bucket, and its key in the archive bucket
  size_bytes bigint not null check (size_bytes >= 0),
  state text not null check (state in ('archiving', 'archived', 'restoring', 'discarding')),
  restore_requested_at timestamptz,
  last_error text,
  changed_at timestamptz not null default now()
);
create index if not exists idx_document_archive_state on private.document_archive (state, changed_at);
create index if not exists idx_document_archive_user on private.document_archive (user_id);
revoke all on table private.document_archive from public, anon, authenticated;

-- The archive entry's bytes in storage_used: counted while the entry is 'archived' or 'restoring'.
create or replace function private.track_archived_storage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old bigint := 0;
  v_new bigint := 0;
begin
  if tg_op in ('UPDATE', 'DELETE') and old.state in ('archived', 'restoring') then
    v_old := old.size_bytes;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.state in ('archived', 'restoring') then
    v_new := new.size_bytes;
  end if;
  if tg_op = 'UPDATE' and old.user_id = new.user_id and v_old = v_new then
    return null;
  end if;
  if v_old > 0 then
    update public.profiles set storage_used = greatest(0, storage_used - v_old) where id = old.user_id;
  end if;
  if v_new > 0 then
    -- No limit here: a move between tiers does not add bytes, and a user over the limit must still get files back.
    update public.profiles set storage_used = storage_used + v_new where id = new.user_id;
  end if;
  return null;
end
$$;
revoke all on function private.track_archived_storage() from public, anon, authenticated;

drop trigger if exists document_archive_track_storage on private.document_archive;
create trigger document_archive_track_storage
  after insert or update or delete on private.document_archive
  for each row execute function private.track_archived_storage();

-- Storage's quota trigger (migration 20261201200000), with one change: the object a restore writes back is not
-- refused for the limit, since its bytes already count through the archive entry until the restore finishes.
create or replace function private.track_object_storage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old_owner uuid;
  v_new_owner uuid;
  v_old_size bigint := 0;
  v_new_size bigint := 0;
  v_used bigint;
  v_limit bigint;
begin
  if tg_op in ('UPDATE', 'DELETE') then
    v_old_owner := private.object_owner(old.name);
    v_old_size := private.object_size(old.metadata);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    v_new_owner := private.object_owner(new.name);
    v_new_size := private.object_size(new.metadata);
  end if;
  if v_old_owner is not null and v_old_size > 0 then
    update public.profiles set storage_used = greatest(0, storage_used - v_old_size) where id = v_old_owner;
  end if;
  if v_new_owner is not null and v_new_size > 0 then
    update public.profiles set storage_used = storage_used + v_new_size
    where id = v_new_owner
    returning storage_used, storage_limit into v_used, v_limit;
    -- Only growth is refused: a user over the limit (after a downgrade) may still shrink or move things.
    if v_used > v_limit and (v_new_owner is distinct from v_old_owner or v_new_size > v_old_size)
       and not (new.bucket_id = 'documents' and exists (
         select 1 from private.document_archive a
         where a.file_path = new.name and a.state = 'restoring' and a.size_bytes >= v_new_size)) then
      raise exception 'storage limit reached: % would hold % of its % bytes', new.name, v_used, v_limit
        using errcode = '53400',
              hint = 'Delete documents, or upgrade the subscription tier for a larger storage limit.';
    end if;
  end if;
  -- The document row of this object takes the real size (what the user declared was only a claim).
  if tg_op in ('INSERT', 'UPDATE') and new.bucket_id = 'documents' and v_new_size > 0 then
    update public.documents set file_size = v_new_size
    where file_path = new.name and file_size is distinct from v_new_size;
  end if;
  return null;
end
$$;
revoke all on function private.track_object_storage() from public, anon, authenticated;

-- A deleted document's archived copy goes too (the job removes it); its bytes stop counting at once.
create or replace function private.discard_archived_document()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update private.document_archive set state = 'discarding', changed_at = now()
  where document_id = old.id and state <> 'discarding';
  return null;
end
$$;
revoke all on function private.discard_archived_document() from public, anon, authenticated;

drop trigger if exists documents_discard_archived on public.documents;
create trigger documents_discard_archived
  after delete on public.documents
  for each row execute function private.discard_archived_document();

-- An account is not erased (nor its profile deleted any other way) while the archive holds its files: they would
-- stay in S3 with nothing pointing at them. `ops account delete` removes them first.
create or replace function private.refuse_profile_with_archived_files()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from private.document_archive a where a.user_id = old.id) then
    raise exception 'account % still has files in the archive bucket', old.id
      using errcode = '55000', hint = 'Remove them from the archive first (ops account delete does).';
  end if;
  return old;
end
$$;
revoke all on function private.refuse_profile_with_archived_files() from public, anon, authenticated;

drop trigger if exists profiles_refuse_archived_files on public.profiles;
create trigger profiles_refuse_archived_files
  before delete on public.profiles
  for each row execute function private.refuse_profile_with_archived_files();

-- ---------------------------------------------------------------- opening
-- The app calls public.open_document when it shows a document (PostgREST: POST /rest/v1/rpc/open_document), and
-- family-vault's download_url calls it as the member. It records the open for a document the caller may read (their
-- own, or one shared with a vault they belong to: the documents table's read policy), and answers where the file is.
-- An archived file is asked back: the next restore pass (every 15 minutes) puts it in Storage, and the document's
-- storage_tier says 'standard' again. The work is a security definer function in private (an exposed schema holds
-- none: the advisor's lint 0028/0029); the public one runs as the caller and only calls it.
create or replace function private.open_document(p_document_id uuid)
returns table (storage_tier text, restore_requested boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tier text;
begin
  select d.storage_tier into v_tier from public.documents d
  where d.id = p_document_id
    and (d.user_id = auth.uid() or private.is_document_shared_with_me(d.id));
  if not found then
    raise exception 'document % not found', p_document_id
      using errcode = 'P0002', hint = 'The document does not exist or is not shared with you.';
  end if;
  insert into private.document_opens (document_id, opened_at) values (p_document_id, now())
  on conflict (document_id) do update set opened_at = excluded.opened_at;
  if v_tier = 'archived' then
    update private.document_archive a set restore_requested_at = coalesce(a.restore_requested_at, now())
    where a.document_id = p_document_id and a.state = 'archived';
  end if;
  return query select v_tier, v_tier = 'archived';
end
$$;
revoke all on function private.open_document(uuid) from public, anon;
grant execute on function private.open_document(uuid) to authenticated, service_role;

create or replace function public.open_document(p_document_id uuid)
returns table (storage_tier text, restore_requested boolean)
language sql
security invoker
set search_path = ''
as $$
  select o.storage_tier, o.restore_requested from private.open_document(p_document_id) o
$$;
revoke all on function public.open_document(uuid) from public, anon;
grant execute on function public.open_document(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------- the job's runs
alter table private.lifecycle_runs drop constraint if exists lifecycle_runs_task_check;
alter table private.lifecycle_runs add constraint lifecycle_runs_task_check
  check (task in ('storage_sweep', 'account_deletion', 'retention', 'archival'));
