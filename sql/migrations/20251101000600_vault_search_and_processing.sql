-- Document embeddings, the hybrid search over documents, and the document processing queue (guide 002).

-- Backend-written tables carry the document owner's id so policies and indexes need no join; a trigger
-- fills it from the document, so writers pass only document_id.
create or replace function private.fill_user_from_document()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  select d.user_id into new.user_id from public.documents d where d.id = new.document_id;
  if new.user_id is null then
    raise exception '%: document % does not exist', tg_table_name, new.document_id using errcode = '23503';
  end if;
  return new;
end
$$;
revoke all on function private.fill_user_from_document() from public, anon, authenticated;

-- ---------------------------------------------------------------- document_embeddings
create table if not exists public.document_embeddings (
  id uuid primary key default gen_random_uuid(),
  document_id uuid not null references public.documents (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  chunk_index integer not null check (chunk_index >= 0),
  content text not null,
  -- 1536 dimensions: OpenAI's text-embedding-3-small (and ada-002), the guide's embedding provider.
  embedding extensions.vector(1536) not null,
  model text not null default 'text-embedding-3-small',
  created_at timestamptz not null default now(),
  unique (document_id, chunk_index)
);
create index if not exists idx_document_embeddings_user_id on public.document_embeddings (user_id);
-- HNSW rather than the guide's IVFFlat: IVFFlat computes its lists from the rows present when the index is
-- built, so created by a migration on an empty table it has useless centroids until someone rebuilds it
-- (the guide's REINDEX); HNSW needs no training, stays accurate as rows arrive, and answers faster at the
-- same recall. It costs more memory and slower inserts, which suits a read-mostly vault.
create index if not exists idx_document_embeddings_hnsw
  on public.document_embeddings using hnsw (embedding extensions.vector_cosine_ops);

create or replace trigger document_embeddings_fill_user
  before insert or update of document_id on public.document_embeddings
  for each row execute function private.fill_user_from_document();

alter table public.document_embeddings enable row level security;
revoke all on table public.document_embeddings from public, anon, authenticated;
-- Written by the document processor only; readable wherever the document is.
grant select on table public.document_embeddings to authenticated;
grant all on table public.document_embeddings to service_role;

drop policy if exists "Readers of a document read its embeddings" on public.document_embeddings;
create policy "Readers of a document read its embeddings" on public.document_embeddings
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_document_shared_with_me(document_id)));

-- ---------------------------------------------------------------- hybrid search
-- Full-text and vector similarity, fused by reciprocal rank (score = sum of weight / (k + rank)), so the two
-- halves need no common scale. Runs as the caller: row-level security limits it to the documents the caller
-- may read (their own and those shared with their family vaults). Either half may be skipped by passing
-- null (or an empty query text).
create or replace function public.search_documents(
  p_query text,
  p_query_embedding extensions.vector(1536),
  p_match_count integer default 10,
  p_full_text_weight double precision default 1.0,
  p_semantic_weight double precision default 1.0,
  p_rrf_k integer default 50
)
returns table (
  id uuid,
  title text,
  ai_summary text,
  file_path text,
  status text,
  full_text_rank integer,
  semantic_rank integer,
  similarity double precision,
  score double precision
)
language sql
stable
security invoker
set search_path = ''
as $$
  with params as (
    select websearch_to_tsquery('english', coalesce(p_query, '')) as query,
           least(greatest(coalesce(p_match_count, 10), 1), 200) as match_count
  ),
  full_text as (
    select d.id,
           row_number() over (order by ts_rank_cd(d.search_vector, p.query) desc, d.id) as rank_ix
    from public.documents d, params p
    where d.search_vector @@ p.query
    order by rank_ix
    limit (select match_count * 2 from params)
  ),
  nearest_chunks as (
    select e.document_id, e.embedding operator(extensions.<=>) p_query_embedding as distance
    from public.document_embeddings e
    where p_query_embedding is not null
    order by e.embedding operator(extensions.<=>) p_query_embedding
    limit (select match_count * 8 from params)
  ),
  semantic as (
    select c.document_id as id,
           min(c.distance) as distance,
           row_number() over (order by min(c.distance), c.document_id) as rank_ix
    from nearest_chunks c
    group by c.document_id
  )
  select d.id, d.title, d.ai_summary, d.file_path, d.status,
         ft.rank_ix::integer, s.rank_ix::integer,
         (1 - s.distance)::double precision,
         (coalesce(1.0 / (p_rrf_k + ft.rank_ix), 0.0) * p_full_text_weight
          + coalesce(1.0 / (p_rrf_k + s.rank_ix), 0.0) * p_semantic_weight)::double precision as score
  from full_text ft
  full outer join semantic s on s.id = ft.id
  join public.documents d on d.id = coalesce(ft.id, s.id)
  order by score desc, d.id
  limit (select match_count from params);
$$;
revoke all on function public.search_documents(text, extensions.vector, integer, double precision, double precision, integer)
  from public, anon;
grant execute on function public.search_documents(text, extensions.vector, integer, double precision, double precision, integer)
  to authenticated, service_role;

-- ---------------------------------------------------------------- processing_queue
-- Work for the document processor (OCR, summary, embeddings). Backend only: closed to anon and
-- authenticated; the upload function (service_role) enqueues, workers claim with claim_processing_jobs.
create table if not exists public.processing_queue (
  id uuid primary key default gen_random_uuid(),
  document_id uuid not null references public.documents (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  task text not null default 'process'
    check (task in ('process', 'ocr', 'summarize', 'embed', 'translate', 'thumbnail')),
  status text not null default 'queued' check (status in ('queued', 'processing', 'completed', 'failed')),
  priority text not null default 'normal' check (priority in ('low', 'normal', 'high')),
  attempts integer not null default 0 check (attempts >= 0),
  last_error text,
  run_after timestamptz not null default now(),
  locked_at timestamptz,
  locked_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- The workers' dequeue order: high before normal before low, oldest first, only what is waiting.
create index if not exists idx_processing_queue_dequeue
  on public.processing_queue ((case priority when 'high' then 0 when 'normal' then 1 else 2 end), run_after)
  where status = 'queued';
create index if not exists idx_processing_queue_document_id on public.processing_queue (document_id);

create or replace trigger processing_queue_fill_user
  before insert or update of document_id on public.processing_queue
  for each row execute function private.fill_user_from_document();
create or replace trigger processing_queue_updated_at
  before update on public.processing_queue
  for each row execute function private.set_updated_at();

alter table public.processing_queue enable row level security;
revoke all on table public.processing_queue from public, anon, authenticated;
grant all on table public.processing_queue to service_role;
-- Backend only: closed to anon and authenticated (no grant, no policy for them); the service role's
-- policies state the intent (it bypasses RLS anyway).
drop policy if exists "Only the backend reads processing_queue" on public.processing_queue;
create policy "Only the backend reads processing_queue" on public.processing_queue
  for select to service_role using (true);
drop policy if exists "Only the backend writes processing_queue" on public.processing_queue;
create policy "Only the backend writes processing_queue" on public.processing_queue
  for insert to service_role with check (true);
drop policy if exists "Only the backend updates processing_queue" on public.processing_queue;
create policy "Only the backend updates processing_queue" on public.processing_queue
  for update to service_role using (true) with check (true);
drop policy if exists "Only the backend deletes processing_queue" on public.processing_queue;
create policy "Only the backend deletes processing_queue" on public.processing_queue
  for delete to service_role using (true);

-- Hands up to p_limit queued jobs to one worker; concurrent workers never get the same job (SKIP LOCKED).
create or replace function public.claim_processing_jobs(p_worker text, p_limit integer default 1)
returns setof public.processing_queue
language sql
volatile
security invoker
set search_path = ''
as $$
  update public.processing_queue q
  set status = 'processing', locked_at = now(), locked_by = p_worker, attempts = q.attempts + 1
  where q.id in (
    select c.id
    from public.processing_queue c
    where c.status = 'queued' and c.run_after <= now()
    order by (case c.priority when 'high' then 0 when 'normal' then 1 else 2 end), c.run_after
    limit greatest(p_limit, 1)
    for update skip locked
  )
  returning q.*;
$$;
revoke all on function public.claim_processing_jobs(text, integer) from public, anon, authenticated;
grant execute on function public.claim_processing_jobs(text, integer) to service_role;
