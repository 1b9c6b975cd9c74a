-- A row may point only at rows its user may use (issue 14, item 16). Before this, a user could set
-- conversations.document_id, invoices.client_id and invoices.project_id to another user's ids: the insert
-- succeeded for an id that exists and failed for one that does not (an oracle for other users' ids), and left
-- references to data the user can never read. Now such an id is refused exactly like one that does not exist.
--   * invoices: composite foreign keys (client_id, user_id) and (project_id, user_id), so the client and the
--     project are the invoice owner's own, whoever writes the row;
--   * conversations.document_id: the document must be one the user can read (their own, or one shared with
--     them through a family vault), as reminders already require; messages.document_id the same
--     (20261201100200).
-- Idempotent like every migration here: running it again changes nothing.

-- ---------------------------------------------------------------- invoices
create unique index if not exists clients_id_user_id_key on public.clients (id, user_id);
create unique index if not exists projects_id_user_id_key on public.projects (id, user_id);

-- References to another user's client or project were never valid; they are cleared so the keys can hold.
update public.invoices i set client_id = null
where i.client_id is not null
  and not exists (select 1 from public.clients c where c.id = i.client_id and c.user_id = i.user_id);
update public.invoices i set project_id = null
where i.project_id is not null
  and not exists (select 1 from public.projects p where p.id = i.project_id and p.user_id = i.user_id);

alter table public.invoices drop constraint if exists invoices_client_id_fkey;
alter table public.invoices drop constraint if exists invoices_project_id_fkey;
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint
                 where conrelid = 'public.invoices'::regclass and conname = 'invoices_client_of_owner_fkey') then
    -- on delete set null (client_id): the invoice stays, without its client; user_id is never nulled.
    alter table public.invoices add constraint invoices_client_of_owner_fkey
      foreign key (client_id, user_id) references public.clients (id, user_id) on delete set null (client_id);
  end if;
  if not exists (select 1 from pg_catalog.pg_constraint
                 where conrelid = 'public.invoices'::regclass and conname = 'invoices_project_of_owner_fkey') then
    alter table public.invoices add constraint invoices_project_of_owner_fkey
      foreign key (project_id, user_id) references public.projects (id, user_id) on delete set null (project_id);
  end if;
end
$$;

-- ---------------------------------------------------------------- conversations
drop policy if exists "Users create their own conversations" on public.conversations;
create policy "Users create their own conversations" on public.conversations
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and (document_id is null or exists (select 1 from public.documents d where d.id = document_id))
  );
drop policy if exists "Users update their own conversations" on public.conversations;
create policy "Users update their own conversations" on public.conversations
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid())
    and (document_id is null or exists (select 1 from public.documents d where d.id = document_id))
  );
