-- The document vault (guide 002): documents, family vaults with their members and shared documents,
-- storage accounting, and the link between the vault and the platform's one chat model.

-- ---------------------------------------------------------------- documents
create table if not exists public.documents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  title text not null check (length(title) between 1 and 500),
  description text,
  file_name text not null,
  -- The object's name in the documents bucket: '<user id>/<...>', the folder the storage policies allow.
  file_path text not null unique,
  mime_type text,
  file_size bigint not null default 0 check (file_size >= 0),
  status text not null default 'uploaded'
    check (status in ('uploaded', 'queued', 'processing', 'completed', 'failed')),
  processing_error text,
  processed_at timestamptz,
  ai_summary text,
  extracted_text text,
  category text,
  tags text[] not null default '{}',
  -- Expiry of the document itself (passport, insurance...): reminders are derived from it.
  expires_on date,
  accessed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- What the full-text half of the hybrid search matches: title first, then the summary, then the text.
  search_vector tsvector generated always as (
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce(ai_summary, '')), 'B')
    || setweight(to_tsvector('english', coalesce(extracted_text, '')), 'C')
  ) stored,
  constraint documents_file_path_in_owner_folder check (split_part(file_path, '/', 1) = user_id::text)
);
create index if not exists idx_documents_user_created on public.documents (user_id, created_at desc);
create index if not exists idx_documents_created_at on public.documents (created_at desc);
create index if not exists idx_documents_status on public.documents (status, created_at desc);
create index if not exists idx_documents_search_vector on public.documents using gin (search_vector);
-- Guide 002's index, kept under its name for the queries that match the summary alone.
create index if not exists idx_documents_ai_summary_gin
  on public.documents using gin (to_tsvector('english', ai_summary));
-- Fuzzy title lookup (pg_trgm) for the search box's typo tolerance.
create index if not exists idx_documents_title_trgm
  on public.documents using gin (title extensions.gin_trgm_ops);

create or replace trigger documents_updated_at
  before update on public.documents
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------- storage accounting
-- profiles.storage_used follows the documents' sizes; a change that would pass the storage limit is
-- refused. The profile row's lock serialises concurrent uploads of one user.
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
  if tg_op in ('UPDATE', 'DELETE') then
    update public.profiles set storage_used = greatest(0, storage_used - old.file_size) where id = old.user_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    update public.profiles set storage_used = storage_used + new.file_size
    where id = new.user_id
    returning storage_used, storage_limit into v_used, v_limit;
    if v_used > v_limit and (tg_op = 'INSERT' or new.file_size > old.file_size or new.user_id <> old.user_id) then
      raise exception 'storage limit reached: user % would use % of % bytes', new.user_id, v_used, v_limit
        using errcode = '53400',
              hint = 'Delete documents, or upgrade the subscription tier for a larger storage limit.';
    end if;
  end if;
  return null;
end
$$;
revoke all on function private.track_document_storage() from public, anon, authenticated;

create or replace trigger documents_track_storage
  after insert or delete or update of file_size, user_id on public.documents
  for each row execute function private.track_document_storage();

-- ---------------------------------------------------------------- family vaults
create table if not exists public.family_vaults (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  description text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_family_vaults_owner_id on public.family_vaults (owner_id);
create or replace trigger family_vaults_updated_at
  before update on public.family_vaults
  for each row execute function private.set_updated_at();

create table if not exists public.family_members (
  id uuid primary key default gen_random_uuid(),
  vault_id uuid not null references public.family_vaults (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'admin', 'member', 'viewer')),
  invited_by uuid default auth.uid() references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (vault_id, user_id)
);
create index if not exists idx_family_members_user_id on public.family_members (user_id);

-- The shared documents: a document is visible to every member of each vault it is shared with.
create table if not exists public.family_vault_documents (
  id uuid primary key default gen_random_uuid(),
  vault_id uuid not null references public.family_vaults (id) on delete cascade,
  document_id uuid not null references public.documents (id) on delete cascade,
  shared_by uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  unique (vault_id, document_id)
);
create index if not exists idx_family_vault_documents_document_id on public.family_vault_documents (document_id);

-- A vault's creator is its first member, with the owner role.
create or replace function private.add_vault_owner_as_member()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.family_members (vault_id, user_id, role, invited_by)
  values (new.id, new.owner_id, 'owner', new.owner_id)
  on conflict (vault_id, user_id) do update set role = 'owner';
  return null;
end
$$;
revoke all on function private.add_vault_owner_as_member() from public, anon, authenticated;
create or replace trigger family_vaults_owner_membership
  after insert on public.family_vaults
  for each row execute function private.add_vault_owner_as_member();

-- Sharing helpers for policies: security definer, so a policy reading membership does not recurse into
-- the membership table's own policies. Each answers only for the calling user.
create or replace function private.is_family_member(p_vault uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.family_members m where m.vault_id = p_vault and m.user_id = auth.uid())
      or exists (select 1 from public.family_vaults v where v.id = p_vault and v.owner_id = auth.uid());
end
$$;

create or replace function private.is_family_admin(p_vault uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.family_vaults v where v.id = p_vault and v.owner_id = auth.uid())
      or exists (
        select 1 from public.family_members m
        where m.vault_id = p_vault and m.user_id = auth.uid() and m.role in ('owner', 'admin')
      );
end
$$;

-- True when the document is shared with a family vault the caller belongs to.
create or replace function private.is_document_shared_with_me(p_document uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1
    from public.family_vault_documents s
    join public.family_members m on m.vault_id = s.vault_id
    where s.document_id = p_document and m.user_id = auth.uid()
  );
end
$$;

revoke all on function private.is_family_member(uuid) from public, anon;
revoke all on function private.is_family_admin(uuid) from public, anon;
revoke all on function private.is_document_shared_with_me(uuid) from public, anon;
grant execute on function private.is_family_member(uuid) to authenticated, service_role;
grant execute on function private.is_family_admin(uuid) to authenticated, service_role;
grant execute on function private.is_document_shared_with_me(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------- documents: access
alter table public.documents enable row level security;
revoke all on table public.documents from public, anon, authenticated;
-- Users register uploads and edit descriptive columns; status, summary and extracted text are the
-- document processor's (service_role), and file_size is fixed at upload because storage is billed by it.
grant select, delete on table public.documents to authenticated;
grant insert (user_id, title, description, file_name, file_path, mime_type, file_size, category, tags, expires_on)
  on table public.documents to authenticated;
grant update (title, description, category, tags, expires_on, accessed_at) on table public.documents to authenticated;
grant all on table public.documents to service_role;

drop policy if exists "Owners and family members read documents" on public.documents;
create policy "Owners and family members read documents" on public.documents
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_document_shared_with_me(id)));
drop policy if exists "Users add their own documents" on public.documents;
create policy "Users add their own documents" on public.documents
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Owners update their documents" on public.documents;
create policy "Owners update their documents" on public.documents
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Owners delete their documents" on public.documents;
create policy "Owners delete their documents" on public.documents
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- family vaults: access
alter table public.family_vaults enable row level security;
revoke all on table public.family_vaults from public, anon, authenticated;
grant select, insert, update, delete on table public.family_vaults to authenticated;
grant all on table public.family_vaults to service_role;

drop policy if exists "Members read their vaults" on public.family_vaults;
create policy "Members read their vaults" on public.family_vaults
  for select to authenticated
  using (owner_id = (select auth.uid()) or (select private.is_family_member(id)));
drop policy if exists "Users create vaults they own" on public.family_vaults;
create policy "Users create vaults they own" on public.family_vaults
  for insert to authenticated with check (owner_id = (select auth.uid()));
drop policy if exists "Owners update their vaults" on public.family_vaults;
create policy "Owners update their vaults" on public.family_vaults
  for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
drop policy if exists "Owners delete their vaults" on public.family_vaults;
create policy "Owners delete their vaults" on public.family_vaults
  for delete to authenticated using (owner_id = (select auth.uid()));

alter table public.family_members enable row level security;
revoke all on table public.family_members from public, anon, authenticated;
grant select, insert, delete on table public.family_members to authenticated;
grant update (role) on table public.family_members to authenticated;
grant all on table public.family_members to service_role;

drop policy if exists "Members see who else is in their vaults" on public.family_members;
create policy "Members see who else is in their vaults" on public.family_members
  for select to authenticated using ((select private.is_family_member(vault_id)));
-- Admins invite; nobody but the vault's creation trigger makes an owner.
drop policy if exists "Vault admins add members" on public.family_members;
create policy "Vault admins add members" on public.family_members
  for insert to authenticated
  with check ((select private.is_family_admin(vault_id)) and role <> 'owner');
drop policy if exists "Vault admins change roles" on public.family_members;
create policy "Vault admins change roles" on public.family_members
  for update to authenticated
  using ((select private.is_family_admin(vault_id)) and role <> 'owner')
  with check ((select private.is_family_admin(vault_id)) and role <> 'owner');
-- Admins remove members; any member may leave. Removing a member ends their access to shared documents.
drop policy if exists "Vault admins remove members and members leave" on public.family_members;
create policy "Vault admins remove members and members leave" on public.family_members
  for delete to authenticated
  using (
    role <> 'owner'
    and ((select private.is_family_admin(vault_id)) or user_id = (select auth.uid()))
  );

alter table public.family_vault_documents enable row level security;
revoke all on table public.family_vault_documents from public, anon, authenticated;
grant select, insert, delete on table public.family_vault_documents to authenticated;
grant all on table public.family_vault_documents to service_role;

drop policy if exists "Members see what is shared in their vaults" on public.family_vault_documents;
create policy "Members see what is shared in their vaults" on public.family_vault_documents
  for select to authenticated using ((select private.is_family_member(vault_id)));
-- Only a document's owner shares it, and only into a vault they belong to.
drop policy if exists "Owners share their documents into their vaults" on public.family_vault_documents;
create policy "Owners share their documents into their vaults" on public.family_vault_documents
  for insert to authenticated
  with check (
    shared_by = (select auth.uid())
    and (select private.is_family_member(vault_id))
    and exists (select 1 from public.documents d where d.id = document_id and d.user_id = (select auth.uid()))
  );
drop policy if exists "Sharers and vault admins unshare documents" on public.family_vault_documents;
create policy "Sharers and vault admins unshare documents" on public.family_vault_documents
  for delete to authenticated
  using (shared_by = (select auth.uid()) or (select private.is_family_admin(vault_id)));

-- ---------------------------------------------------------------- chat about documents
-- The vault's document chat is the platform's chat: a conversation may be about one document, and an
-- assistant message may cite the document it drew on. Deleting the document keeps the chat.
alter table public.conversations
  add column if not exists document_id uuid references public.documents (id) on delete set null;
alter table public.messages
  add column if not exists document_id uuid references public.documents (id) on delete set null;
create index if not exists idx_conversations_document_id on public.conversations (document_id);
create index if not exists idx_messages_document_id on public.messages (document_id);
