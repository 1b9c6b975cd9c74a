-- The rest of the AI Super Assistant (guide 000, section 4.2): browser automation, IT support, assets and
-- monitoring, the business tools (clients, projects and their teams, invoices, workflows, webhooks,
-- integrations) and product analytics.

-- ---------------------------------------------------------------- helpers for project sharing
-- Policies on projects and project_team refer to each other; reading them inside a policy would recurse.
-- These security definer helpers read the tables without RLS and answer only for the calling user.
-- (PL/pgSQL, whose body is checked when first called: the tables are created further down.)
create or replace function private.is_project_owner(p_project uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.projects p where p.id = p_project and p.user_id = auth.uid());
end
$$;

create or replace function private.is_project_member(p_project uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.project_team t where t.project_id = p_project and t.user_id = auth.uid());
end
$$;

-- ---------------------------------------------------------------- automation_workflows
create table if not exists public.automation_workflows (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  description text,
  -- The browser automation steps, as the automation service reads them.
  steps jsonb not null default '[]'::jsonb,
  schedule text,
  is_active boolean not null default true,
  last_run_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_automation_workflows_user_id on public.automation_workflows (user_id);
create or replace trigger automation_workflows_updated_at
  before update on public.automation_workflows
  for each row execute function private.set_updated_at();

alter table public.automation_workflows enable row level security;
revoke all on table public.automation_workflows from public, anon, authenticated;
grant select, insert, update, delete on table public.automation_workflows to authenticated;
grant all on table public.automation_workflows to service_role;

drop policy if exists "Users read their own automation workflows" on public.automation_workflows;
create policy "Users read their own automation workflows" on public.automation_workflows
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own automation workflows" on public.automation_workflows;
create policy "Users create their own automation workflows" on public.automation_workflows
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own automation workflows" on public.automation_workflows;
create policy "Users update their own automation workflows" on public.automation_workflows
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users delete their own automation workflows" on public.automation_workflows;
create policy "Users delete their own automation workflows" on public.automation_workflows
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- automation_jobs
create table if not exists public.automation_jobs (
  id uuid primary key default gen_random_uuid(),
  workflow_id uuid not null references public.automation_workflows (id) on delete cascade,
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  status text not null default 'pending'
    check (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
  input jsonb not null default '{}'::jsonb,
  result jsonb,
  -- Screenshots and downloads, in the automation-results bucket under the user's folder.
  result_path text,
  error_message text,
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Guide 000, section 4.4.
create index if not exists idx_automation_jobs_workflow_id on public.automation_jobs (workflow_id);
create index if not exists idx_automation_jobs_status on public.automation_jobs (status);
create index if not exists idx_automation_jobs_user_id on public.automation_jobs (user_id);
create or replace trigger automation_jobs_updated_at
  before update on public.automation_jobs
  for each row execute function private.set_updated_at();

alter table public.automation_jobs enable row level security;
revoke all on table public.automation_jobs from public, anon, authenticated;
-- Users queue jobs and watch them; the automation service (service_role) runs them and writes results.
grant select, insert on table public.automation_jobs to authenticated;
grant all on table public.automation_jobs to service_role;

drop policy if exists "Users read their own automation jobs" on public.automation_jobs;
create policy "Users read their own automation jobs" on public.automation_jobs
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users queue jobs of their own workflows" on public.automation_jobs;
create policy "Users queue jobs of their own workflows" on public.automation_jobs
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and status = 'pending'
    and exists (
      select 1 from public.automation_workflows w where w.id = workflow_id and w.user_id = (select auth.uid())
    )
  );

-- ---------------------------------------------------------------- support_tickets
create table if not exists public.support_tickets (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  title text not null check (length(title) between 1 and 300),
  description text,
  priority text not null default 'medium' check (priority in ('low', 'medium', 'high', 'critical')),
  category text not null default 'incident'
    check (category in ('incident', 'service_request', 'problem', 'change', 'question')),
  status text not null default 'open' check (status in ('open', 'in_progress', 'waiting', 'resolved', 'closed')),
  -- The support agent; set by the backend.
  assigned_to uuid references public.profiles (id) on delete set null,
  -- The AI triage's suggested answer, written by the create-support-ticket function.
  ai_suggestion text,
  -- Files in the ticket-attachments bucket under the user's folder.
  attachment_paths text[] not null default '{}',
  resolved_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Guide 000, section 4.4.
create index if not exists idx_support_tickets_user_id on public.support_tickets (user_id);
create index if not exists idx_support_tickets_status on public.support_tickets (status);
create or replace trigger support_tickets_updated_at
  before update on public.support_tickets
  for each row execute function private.set_updated_at();

alter table public.support_tickets enable row level security;
revoke all on table public.support_tickets from public, anon, authenticated;
-- Users open and edit their tickets but cannot assign them or write the triage; tickets are never
-- deleted by users (closing is a status), so support keeps the history.
grant select on table public.support_tickets to authenticated;
grant insert (user_id, title, description, priority, category, attachment_paths)
  on table public.support_tickets to authenticated;
grant update (title, description, priority, category, status, attachment_paths)
  on table public.support_tickets to authenticated;
grant all on table public.support_tickets to service_role;

drop policy if exists "Users read their own tickets" on public.support_tickets;
create policy "Users read their own tickets" on public.support_tickets
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users open their own tickets" on public.support_tickets;
create policy "Users open their own tickets" on public.support_tickets
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own tickets" on public.support_tickets;
create policy "Users update their own tickets" on public.support_tickets
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- ticket_comments
create table if not exists public.ticket_comments (
  id uuid primary key default gen_random_uuid(),
  ticket_id uuid not null references public.support_tickets (id) on delete cascade,
  -- The author: the ticket's owner, or a support agent writing through the backend.
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  content text not null check (length(content) > 0),
  -- Agents' notes; never shown to the ticket's owner.
  is_internal boolean not null default false,
  created_at timestamptz not null default now()
);
create index if not exists idx_ticket_comments_ticket_id on public.ticket_comments (ticket_id, created_at);

alter table public.ticket_comments enable row level security;
revoke all on table public.ticket_comments from public, anon, authenticated;
grant select, insert on table public.ticket_comments to authenticated;
grant all on table public.ticket_comments to service_role;

drop policy if exists "Ticket owners read the public comments of their tickets" on public.ticket_comments;
create policy "Ticket owners read the public comments of their tickets" on public.ticket_comments
  for select to authenticated
  using (
    not is_internal
    and exists (select 1 from public.support_tickets t where t.id = ticket_id and t.user_id = (select auth.uid()))
  );
drop policy if exists "Ticket owners comment on their tickets" on public.ticket_comments;
create policy "Ticket owners comment on their tickets" on public.ticket_comments
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and not is_internal
    and exists (select 1 from public.support_tickets t where t.id = ticket_id and t.user_id = (select auth.uid()))
  );

-- ---------------------------------------------------------------- assets
create table if not exists public.assets (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  asset_type text not null default 'other',
  serial_number text,
  status text not null default 'active' check (status in ('active', 'maintenance', 'retired')),
  location text,
  purchase_date date,
  warranty_expires_on date,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_assets_user_id on public.assets (user_id);
create or replace trigger assets_updated_at
  before update on public.assets
  for each row execute function private.set_updated_at();

alter table public.assets enable row level security;
revoke all on table public.assets from public, anon, authenticated;
grant select, insert, update, delete on table public.assets to authenticated;
grant all on table public.assets to service_role;

drop policy if exists "Users read their own assets" on public.assets;
create policy "Users read their own assets" on public.assets
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own assets" on public.assets;
create policy "Users create their own assets" on public.assets
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own assets" on public.assets;
create policy "Users update their own assets" on public.assets
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users delete their own assets" on public.assets;
create policy "Users delete their own assets" on public.assets
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- monitoring_metrics
-- Health readings of a user's assets, written by the monitoring backend only.
create table if not exists public.monitoring_metrics (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  asset_id uuid references public.assets (id) on delete cascade,
  metric_name text not null,
  metric_value double precision not null,
  unit text,
  tags jsonb not null default '{}'::jsonb,
  recorded_at timestamptz not null default now()
);
create index if not exists idx_monitoring_metrics_asset on public.monitoring_metrics (asset_id, recorded_at desc);
create index if not exists idx_monitoring_metrics_user on public.monitoring_metrics (user_id, recorded_at desc);

alter table public.monitoring_metrics enable row level security;
revoke all on table public.monitoring_metrics from public, anon, authenticated;
grant select on table public.monitoring_metrics to authenticated;
grant all on table public.monitoring_metrics to service_role;

drop policy if exists "Users read the metrics of their own assets" on public.monitoring_metrics;
create policy "Users read the metrics of their own assets" on public.monitoring_metrics
  for select to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- clients
create table if not exists public.clients (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  email text,
  phone text,
  company text,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_clients_user_id on public.clients (user_id);
create or replace trigger clients_updated_at
  before update on public.clients
  for each row execute function private.set_updated_at();

alter table public.clients enable row level security;
revoke all on table public.clients from public, anon, authenticated;
grant select, insert, update, delete on table public.clients to authenticated;
grant all on table public.clients to service_role;

drop policy if exists "Users read their own clients" on public.clients;
create policy "Users read their own clients" on public.clients
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own clients" on public.clients;
create policy "Users create their own clients" on public.clients
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own clients" on public.clients;
create policy "Users update their own clients" on public.clients
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users delete their own clients" on public.clients;
create policy "Users delete their own clients" on public.clients
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- projects
create table if not exists public.projects (
  id uuid primary key default gen_random_uuid(),
  -- The project's owner; the team in project_team sees the project too.
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  client_id uuid references public.clients (id) on delete set null,
  name text not null check (length(name) between 1 and 200),
  description text,
  status text not null default 'active'
    check (status in ('planning', 'active', 'on_hold', 'completed', 'cancelled')),
  budget numeric(14, 2) check (budget >= 0),
  start_date date,
  due_date date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_projects_user_id on public.projects (user_id);
create index if not exists idx_projects_client_id on public.projects (client_id);
create or replace trigger projects_updated_at
  before update on public.projects
  for each row execute function private.set_updated_at();

alter table public.projects enable row level security;
revoke all on table public.projects from public, anon, authenticated;
grant select, insert, update, delete on table public.projects to authenticated;
grant all on table public.projects to service_role;

drop policy if exists "Owners and team members read projects" on public.projects;
create policy "Owners and team members read projects" on public.projects
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_project_member(id)));
-- A project may name only one of the owner's own clients.
drop policy if exists "Users create their own projects" on public.projects;
create policy "Users create their own projects" on public.projects
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and (client_id is null
         or exists (select 1 from public.clients c where c.id = client_id and c.user_id = (select auth.uid())))
  );
drop policy if exists "Owners update their projects" on public.projects;
create policy "Owners update their projects" on public.projects
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid())
    and (client_id is null
         or exists (select 1 from public.clients c where c.id = client_id and c.user_id = (select auth.uid())))
  );
drop policy if exists "Owners delete their projects" on public.projects;
create policy "Owners delete their projects" on public.projects
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- project_team
create table if not exists public.project_team (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  role text not null default 'member' check (role in ('manager', 'member', 'viewer')),
  added_by uuid default auth.uid() references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (project_id, user_id)
);
create index if not exists idx_project_team_user_id on public.project_team (user_id);

alter table public.project_team enable row level security;
revoke all on table public.project_team from public, anon, authenticated;
grant select, insert, update, delete on table public.project_team to authenticated;
grant all on table public.project_team to service_role;

drop policy if exists "Owners and members read the project's team" on public.project_team;
create policy "Owners and members read the project's team" on public.project_team
  for select to authenticated
  using ((select private.is_project_owner(project_id)) or (select private.is_project_member(project_id)));
drop policy if exists "Project owners add team members" on public.project_team;
create policy "Project owners add team members" on public.project_team
  for insert to authenticated with check ((select private.is_project_owner(project_id)));
drop policy if exists "Project owners change team roles" on public.project_team;
create policy "Project owners change team roles" on public.project_team
  for update to authenticated
  using ((select private.is_project_owner(project_id)))
  with check ((select private.is_project_owner(project_id)));
-- The owner removes anyone; a member may leave.
drop policy if exists "Project owners remove members and members leave" on public.project_team;
create policy "Project owners remove members and members leave" on public.project_team
  for delete to authenticated
  using ((select private.is_project_owner(project_id)) or user_id = (select auth.uid()));

-- ---------------------------------------------------------------- invoices
create table if not exists public.invoices (
  id uuid primary key default gen_random_uuid(),
  -- The business user who bills their client (the platform's own billing is subscriptions/payments).
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  client_id uuid references public.clients (id) on delete set null,
  project_id uuid references public.projects (id) on delete set null,
  invoice_number text not null,
  amount numeric(14, 2) not null check (amount >= 0),
  currency char(3) not null default 'USD',
  status text not null default 'draft' check (status in ('draft', 'sent', 'paid', 'overdue', 'cancelled')),
  line_items jsonb not null default '[]'::jsonb,
  issued_on date,
  due_on date,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, invoice_number)
);
create index if not exists idx_invoices_client_id on public.invoices (client_id);
create index if not exists idx_invoices_project_id on public.invoices (project_id);
create or replace trigger invoices_updated_at
  before update on public.invoices
  for each row execute function private.set_updated_at();

alter table public.invoices enable row level security;
revoke all on table public.invoices from public, anon, authenticated;
grant select, insert, update, delete on table public.invoices to authenticated;
grant all on table public.invoices to service_role;

drop policy if exists "Users read their own invoices" on public.invoices;
create policy "Users read their own invoices" on public.invoices
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own invoices" on public.invoices;
create policy "Users create their own invoices" on public.invoices
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own invoices" on public.invoices;
create policy "Users update their own invoices" on public.invoices
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users delete their own invoices" on public.invoices;
create policy "Users delete their own invoices" on public.invoices
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- workflows
-- Business workflows (approvals, onboarding...); a workflow of a project is visible to its team.
create table if not exists public.workflows (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  project_id uuid references public.projects (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  description text,
  trigger_type text not null default 'manual',
  definition jsonb not null default '{}'::jsonb,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_workflows_user_id on public.workflows (user_id);
create index if not exists idx_workflows_project_id on public.workflows (project_id);
create or replace trigger workflows_updated_at
  before update on public.workflows
  for each row execute function private.set_updated_at();

alter table public.workflows enable row level security;
revoke all on table public.workflows from public, anon, authenticated;
grant select, insert, update, delete on table public.workflows to authenticated;
grant all on table public.workflows to service_role;

drop policy if exists "Owners and project teams read workflows" on public.workflows;
create policy "Owners and project teams read workflows" on public.workflows
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or (project_id is not null and (select private.is_project_member(project_id)))
  );
drop policy if exists "Users create workflows in their own projects" on public.workflows;
create policy "Users create workflows in their own projects" on public.workflows
  for insert to authenticated
  with check (
    user_id = (select auth.uid()) and (project_id is null or (select private.is_project_owner(project_id)))
  );
drop policy if exists "Users update their own workflows" on public.workflows;
create policy "Users update their own workflows" on public.workflows
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid()) and (project_id is null or (select private.is_project_owner(project_id)))
  );
drop policy if exists "Users delete their own workflows" on public.workflows;
create policy "Users delete their own workflows" on public.workflows
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- webhooks
-- Outgoing webhooks a user registers. Signing secrets are not stored here: they live with the function
-- secrets, so a leaked row cannot forge deliveries.
create table if not exists public.webhooks (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  url text not null check (url ~ '^https://'),
  events text[] not null default '{}',
  is_active boolean not null default true,
  last_triggered_at timestamptz,
  failure_count integer not null default 0 check (failure_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_webhooks_user_id on public.webhooks (user_id);
create or replace trigger webhooks_updated_at
  before update on public.webhooks
  for each row execute function private.set_updated_at();

alter table public.webhooks enable row level security;
revoke all on table public.webhooks from public, anon, authenticated;
grant select, insert, update, delete on table public.webhooks to authenticated;
grant all on table public.webhooks to service_role;

drop policy if exists "Users read their own webhooks" on public.webhooks;
create policy "Users read their own webhooks" on public.webhooks
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own webhooks" on public.webhooks;
create policy "Users create their own webhooks" on public.webhooks
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own webhooks" on public.webhooks;
create policy "Users update their own webhooks" on public.webhooks
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users delete their own webhooks" on public.webhooks;
create policy "Users delete their own webhooks" on public.webhooks
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- integrations
-- Third-party connections. config holds non-secret settings only; credentials stay in function secrets.
create table if not exists public.integrations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  provider text not null check (length(provider) between 1 and 50),
  display_name text,
  config jsonb not null default '{}'::jsonb,
  status text not null default 'connected' check (status in ('connected', 'disconnected', 'error')),
  last_synced_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, provider)
);
create or replace trigger integrations_updated_at
  before update on public.integrations
  for each row execute function private.set_updated_at();

alter table public.integrations enable row level security;
revoke all on table public.integrations from public, anon, authenticated;
grant select, insert, update, delete on table public.integrations to authenticated;
grant all on table public.integrations to service_role;

drop policy if exists "Users read their own integrations" on public.integrations;
create policy "Users read their own integrations" on public.integrations
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users create their own integrations" on public.integrations;
create policy "Users create their own integrations" on public.integrations
  for insert to authenticated with check (user_id = (select auth.uid()));
drop policy if exists "Users update their own integrations" on public.integrations;
create policy "Users update their own integrations" on public.integrations
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
drop policy if exists "Users delete their own integrations" on public.integrations;
create policy "Users delete their own integrations" on public.integrations
  for delete to authenticated using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- analytics_events
-- Product analytics and function invocations (guide 000, sections 7.6 and 10.7).
create table if not exists public.analytics_events (
  id uuid primary key default gen_random_uuid(),
  -- Null for events of the backend itself; kept (without the user) when a user is deleted.
  user_id uuid default auth.uid() references public.profiles (id) on delete set null,
  event_type text not null check (length(event_type) between 1 and 100),
  event_data jsonb not null default '{}'::jsonb,
  session_id text,
  execution_time_ms integer check (execution_time_ms >= 0),
  created_at timestamptz not null default now(),
  -- When the event finished (for events that span time); analytics_summary averages the difference.
  updated_at timestamptz not null default now()
);
-- Guide 000, section 4.4.
create index if not exists idx_analytics_events_user_id on public.analytics_events (user_id);
create index if not exists idx_analytics_events_created_at on public.analytics_events (created_at desc);
create index if not exists idx_analytics_events_type_created on public.analytics_events (event_type, created_at desc);

alter table public.analytics_events enable row level security;
revoke all on table public.analytics_events from public, anon, authenticated;
-- Users record their own events and read them back; events are never edited by users.
grant select, insert on table public.analytics_events to authenticated;
grant all on table public.analytics_events to service_role;

drop policy if exists "Users read their own events" on public.analytics_events;
create policy "Users read their own events" on public.analytics_events
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists "Users record their own events" on public.analytics_events;
create policy "Users record their own events" on public.analytics_events
  for insert to authenticated with check (user_id = (select auth.uid()));

-- Guide 000, section 7.6. Runs as the invoker: a user sees the summary of their own events, the backend all.
create or replace view public.analytics_summary
with (security_invoker = true)
as
select
  date_trunc('hour', created_at) as hour,
  event_type,
  count(*) as event_count,
  avg(extract(epoch from (updated_at - created_at))) as avg_duration
from public.analytics_events
where created_at > now() - interval '24 hours'
group by hour, event_type
order by hour desc;

revoke all on table public.analytics_summary from public, anon, authenticated;
grant select on table public.analytics_summary to authenticated, service_role;

revoke all on function private.is_project_owner(uuid) from public, anon;
revoke all on function private.is_project_member(uuid) from public, anon;
grant execute on function private.is_project_owner(uuid) to authenticated, service_role;
grant execute on function private.is_project_member(uuid) to authenticated, service_role;
