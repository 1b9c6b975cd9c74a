-- Export (issue 26, part 3): a person asks for their data and gets, asynchronously, one archive of their rows
-- (JSON) and their files. The request is a row here (at most one a day: an export reads every file the person
-- has, so it costs what their storage costs); the lifecycle job (`ops export process-requests`) builds the
-- archive, stores it in the person's folder of the `exports` bucket (so it counts against their storage quota
-- while it exists) and marks it ready; the data-export function hands out a short-lived signed URL; the sweep
-- removes the archive when it expires.

create table if not exists private.data_exports (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  requested_at timestamptz not null default now(),
  status text not null default 'requested' check (status in ('requested', 'ready', 'failed')),
  object_name text,
  size_bytes bigint,
  expires_at timestamptz,
  error text
);
create index if not exists idx_data_exports_user_time on private.data_exports (user_id, requested_at desc);
create index if not exists idx_data_exports_pending on private.data_exports (requested_at) where status = 'requested';
revoke all on table private.data_exports from public, anon, authenticated;

-- The caller's request; refused (SQLSTATE 54000, with the time of the next allowed request) within 24 hours of
-- the previous one.
create or replace function private.request_data_export()
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_last timestamptz;
  v_id uuid;
begin
  if v_user is null then
    raise exception 'only a signed-in user can ask for their data' using errcode = '42501';
  end if;
  -- One request at a time per person, even from two sessions at once.
  perform 1 from public.profiles where id = v_user for update;
  select max(requested_at) into v_last from private.data_exports where user_id = v_user;
  if v_last > now() - interval '24 hours' then
    raise exception 'an export was requested at %; the next may be requested after %', v_last,
                    v_last + interval '24 hours'
      using errcode = '54000', hint = to_char(v_last + interval '24 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
  end if;
  insert into private.data_exports (user_id) values (v_user) returning id into v_id;
  return v_id;
end
$$;
revoke all on function private.request_data_export() from public, anon;
grant execute on function private.request_data_export() to authenticated;

-- The caller's exports, newest first.
create or replace function private.my_data_exports()
returns table (id uuid, status text, requested_at timestamptz, expires_at timestamptz, object_name text,
               size_bytes bigint, error text)
language sql
stable
security definer
set search_path = ''
as $$
  select e.id, e.status, e.requested_at, e.expires_at, e.object_name, e.size_bytes, e.error
  from private.data_exports e
  where e.user_id = auth.uid() and (e.expires_at is null or e.expires_at > now())
  order by e.requested_at desc
  limit 10
$$;
revoke all on function private.my_data_exports() from public, anon;
grant execute on function private.my_data_exports() to authenticated;

alter table private.storage_deletions drop constraint if exists storage_deletions_reason_check;
alter table private.storage_deletions add constraint storage_deletions_reason_check check (reason in (
  'document_deleted', 'failed_document', 'unconfirmed_upload', 'missing_object', 'orphan', 'account_deleted',
  'export_expired'));

-- The sweep also finds archives no export row owns (a row removed by hand, a job killed after its upload).
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
        when p_bucket = 'exports'
          and not exists (select 1 from private.data_exports e where e.object_name = p.name) then 'no_export'
      end as reason
    from page p
  ),
  bounds as (select max(name) as last_name, count(*)::integer as page_size from page)
  select v.name, v.size, v.reason, b.last_name, b.page_size
  from bounds b left join verdicts v on v.reason is not null
$$;

-- Expired archives (and failed requests, after the same time) leave with the sweep: the row goes and the
-- archive is queued for Storage. Returns how many exports went.
create or replace function private.expire_data_exports()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  with gone as (
    delete from private.data_exports
    where expires_at < now() or (status = 'failed' and requested_at < now() - interval '7 days')
    returning object_name
  ), queued as (
    insert into private.storage_deletions (bucket_id, name, reason)
    select 'exports', object_name, 'export_expired' from gone where object_name is not null
    on conflict (bucket_id, name) do nothing
  )
  select count(*) into v_count from gone;
  return v_count;
end
$$;
revoke all on function private.expire_data_exports() from public, anon, authenticated;
