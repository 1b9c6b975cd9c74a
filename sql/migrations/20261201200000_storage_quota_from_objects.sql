-- Storage quota counted from what Storage really holds (issue 14, hole 2).
--
-- Before: profiles.storage_used added up documents.file_size, a number the user declares; objects in Storage
-- were not counted, so a user could store 2 GiB against a 1 GiB limit with storage_used = 0.
-- Now: storage_used is the sum of the sizes Storage records in storage.objects.metadata ('size', set by the
-- Storage service from the bytes it received) of every object in the user's folder ('<user id>/...', the
-- folder the storage policies let them write), in any bucket. A new or grown object that would pass the
-- user's storage_limit is refused in the same transaction that records it (SQLSTATE 53400), so Storage
-- answers an error and keeps nothing. The profile row's lock serialises one user's concurrent uploads.
-- documents.file_size follows the object's real size once it exists; a new document whose declared size no
-- longer fits is refused up front (nothing counts twice: the declared size is checked, never added).

-- The uuid of a folder name, or null when the object is not in a user's folder.
create or replace function private.object_owner(p_name text)
returns uuid
language sql
immutable
set search_path = ''
as $$
  select case
    when split_part(p_name, '/', 1) ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
      and position('/' in p_name) > 0
    then split_part(p_name, '/', 1)::uuid
  end
$$;

-- The size Storage recorded; 0 while the object has none yet (a multipart upload in progress).
create or replace function private.object_size(p_metadata jsonb)
returns bigint
language sql
immutable
set search_path = ''
as $$
  select case when jsonb_typeof(p_metadata -> 'size') = 'number'
              then greatest(0, floor((p_metadata ->> 'size')::numeric))::bigint
              else 0 end
$$;
revoke all on function private.object_owner(text) from public, anon, authenticated;
revoke all on function private.object_size(jsonb) from public, anon, authenticated;

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
    if v_used > v_limit and (v_new_owner is distinct from v_old_owner or v_new_size > v_old_size) then
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

drop trigger if exists objects_track_storage on storage.objects;
create trigger objects_track_storage
  after insert or delete or update of name, metadata on storage.objects
  for each row execute function private.track_object_storage();

-- Documents no longer add to storage_used; a new one is refused when its declared size does not fit.
create or replace function private.track_document_storage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_used bigint;
  v_limit bigint;
begin
  select storage_used, storage_limit into v_used, v_limit from public.profiles where id = new.user_id for update;
  if v_used + new.file_size > v_limit then
    raise exception 'storage limit reached: user % uses % of % bytes, % more do not fit',
                    new.user_id, v_used, v_limit, new.file_size
      using errcode = '53400',
            hint = 'Delete documents, or upgrade the subscription tier for a larger storage limit.';
  end if;
  return null;
end
$$;
drop trigger if exists documents_track_storage on public.documents;
create trigger documents_track_storage
  after insert on public.documents
  for each row execute function private.track_document_storage();

-- What the earlier accounting left behind is replaced by the real figures.
update public.profiles p
set storage_used = coalesce((
  select sum(private.object_size(o.metadata)) from storage.objects o where private.object_owner(o.name) = p.id
), 0);
