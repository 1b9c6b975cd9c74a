-- What the create-support-ticket and execute-automation edge functions need from the schema:
--   * support tickets get a readable number (TKT-000042) and a due date from their priority (the SLA),
--     both set by the database, so a ticket created any way (function, dashboard, SQL) has them;
--   * automation jobs use the runner's vocabulary, queued -> running -> succeeded | failed (or cancelled),
--     and cannot be started twice: an idempotency key unique per user, and at most one queued-or-running
--     job per workflow.
-- Idempotent like every migration here: running it again changes nothing.

-- ================================================================ support_tickets

-- The SLA: how long support has for a ticket of each priority. The single place it is written; the edge
-- function reads the resulting due_at back instead of computing it.
create or replace function private.support_ticket_sla(p_priority text)
returns interval
language sql
immutable
set search_path = ''
as $$
  select case p_priority
    when 'critical' then interval '4 hours'
    when 'high' then interval '24 hours'
    when 'medium' then interval '72 hours'
    when 'low' then interval '7 days'
  end
$$;
-- The due-date trigger runs as the user who writes the ticket, so that user calls this function.
revoke all on function private.support_ticket_sla(text) from public, anon;
grant execute on function private.support_ticket_sla(text) to authenticated, service_role;

-- Ticket numbers come from a sequence in private: the API roles cannot call nextval() on it, so numbers
-- are handed out only by the trigger below (users cannot burn or pick them).
create sequence if not exists private.support_ticket_number_seq as bigint;

create or replace function private.format_ticket_number(p_number bigint)
returns text
language sql
immutable
set search_path = ''
as $$
  -- At least six digits (TKT-000042); longer numbers keep all their digits (lpad alone would cut them).
  select 'TKT-' || lpad(p_number::text, greatest(6, length(p_number::text)), '0')
$$;
revoke all on function private.format_ticket_number(bigint) from public, anon, authenticated;

-- Existing tickets get their number as the column is added (the volatile default fills each row, without
-- firing update triggers); the default is dropped right after, since new rows are numbered by the trigger.
alter table public.support_tickets add column if not exists ticket_number text
  default private.format_ticket_number(nextval('private.support_ticket_number_seq'));
alter table public.support_tickets alter column ticket_number drop default;
alter table public.support_tickets alter column ticket_number set not null;
create unique index if not exists support_tickets_ticket_number_key on public.support_tickets (ticket_number);

alter table public.support_tickets add column if not exists due_at timestamptz;
-- Backfill without touching updated_at: the tickets did not change, only their schema did.
alter table public.support_tickets disable trigger support_tickets_updated_at;
update public.support_tickets
  set due_at = created_at + private.support_ticket_sla(priority)
  where due_at is null;
alter table public.support_tickets enable trigger support_tickets_updated_at;
alter table public.support_tickets alter column due_at set not null;
-- Support's queue: open tickets by how soon they are due.
create index if not exists idx_support_tickets_due_at on public.support_tickets (due_at)
  where status in ('open', 'in_progress', 'waiting');

-- security definer: nextval on the private sequence, which the inserting user (authenticated) may not use.
create or replace function private.number_support_ticket()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Users cannot write the column (no column grant); the backend may set one, e.g. importing old tickets.
  if new.ticket_number is null then
    new.ticket_number := private.format_ticket_number(nextval('private.support_ticket_number_seq'));
  end if;
  return new;
end
$$;

create or replace function private.set_support_ticket_due_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- On insert always, on update only when the priority changes: support may still move a due date by hand.
  if tg_op = 'INSERT' or new.priority is distinct from old.priority then
    new.due_at := new.created_at + private.support_ticket_sla(new.priority);
  end if;
  return new;
end
$$;

-- Trigger functions: only the triggers call them.
revoke all on function private.number_support_ticket() from public, anon, authenticated;
revoke all on function private.set_support_ticket_due_at() from public, anon, authenticated;

create or replace trigger support_tickets_number
  before insert on public.support_tickets
  for each row execute function private.number_support_ticket();
create or replace trigger support_tickets_due_at
  before insert or update of priority on public.support_tickets
  for each row execute function private.set_support_ticket_due_at();

-- ticket_number and due_at stay out of the users' column grants (20251101000400): users read them only.

-- ================================================================ automation_jobs

-- The old vocabulary (pending, completed) becomes the runner's (queued, succeeded). The check is replaced
-- before the rows are mapped, since each set of values is invalid under the other check.
alter table public.automation_jobs drop constraint if exists automation_jobs_status_check;
alter table public.automation_jobs disable trigger automation_jobs_updated_at;
update public.automation_jobs
  set status = case status when 'pending' then 'queued' when 'completed' then 'succeeded' end
  where status in ('pending', 'completed');
-- At most one queued-or-running job per workflow from now on: older duplicates (kept: a running job, else
-- the oldest queued one) are cancelled with a reason, so the unique index below can be built.
with ranked as (
  select id, row_number() over (
    partition by workflow_id order by (status = 'running') desc, created_at, id
  ) as position
  from public.automation_jobs
  where status in ('queued', 'running')
)
update public.automation_jobs j
  set status = 'cancelled',
      completed_at = coalesce(j.completed_at, now()),
      error_message = 'cancelled by migration 20251101001100: another job of this workflow was already '
                      'queued or running'
  from ranked
  where ranked.id = j.id and ranked.position > 1;
alter table public.automation_jobs enable trigger automation_jobs_updated_at;
alter table public.automation_jobs alter column status set default 'queued';
alter table public.automation_jobs add constraint automation_jobs_status_check
  check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled'));

-- A client retrying a request sends the same Idempotency-Key and gets the job the first request created.
alter table public.automation_jobs add column if not exists idempotency_key text
  check (length(idempotency_key) between 1 and 255);
create unique index if not exists automation_jobs_user_idempotency_key
  on public.automation_jobs (user_id, idempotency_key);
-- A workflow runs once at a time: a second request while a job is queued or running gets that job.
create unique index if not exists automation_jobs_one_active_per_workflow
  on public.automation_jobs (workflow_id) where status in ('queued', 'running');

-- Users queue jobs (status queued) of their own active workflows; the runner (service_role) moves them on.
drop policy if exists "Users queue jobs of their own workflows" on public.automation_jobs;
create policy "Users queue jobs of their own workflows" on public.automation_jobs
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and status = 'queued'
    and exists (
      select 1 from public.automation_workflows w
      where w.id = workflow_id and w.user_id = (select auth.uid()) and w.is_active
    )
  );
