-- What the document functions (document-upload, document-processor, search-engine) need beyond guide 002's
-- schema: the content hash that recognises a duplicate, one live job per document, the filtered and paged
-- hybrid search, and pg_net for the scheduled calls where the server has it.

-- pg_net (Supabase): the schedules call their function over HTTP from pg_cron. Absent elsewhere.
do $$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    execute 'create extension if not exists pg_net with schema extensions';
  end if;
end
$$;

-- ---------------------------------------------------------------- documents: content and duplicates
-- The SHA-256 of the bytes Storage holds, computed by the processor (never taken from the client), and the
-- earlier document of the same owner with the same bytes, whose text, summary and embeddings were reused.
alter table public.documents add column if not exists content_sha256 text;
alter table public.documents add column if not exists duplicate_of uuid references public.documents (id) on delete set null;
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint where conname = 'documents_content_sha256_hex') then
    alter table public.documents add constraint documents_content_sha256_hex
      check (content_sha256 is null or content_sha256 ~ '^[0-9a-f]{64}$');
  end if;
end
$$;
create index if not exists idx_documents_user_content on public.documents (user_id, content_sha256)
  where content_sha256 is not null;
create index if not exists idx_documents_tags on public.documents using gin (tags);

-- ---------------------------------------------------------------- processing_queue: one live job per document
-- A confirmed upload queues its document once, however often the confirmation is repeated.
create unique index if not exists idx_processing_queue_one_live_job
  on public.processing_queue (document_id, task) where status in ('queued', 'processing');
-- Jobs a worker left in 'processing' (it died) are found by their lock time.
create index if not exists idx_processing_queue_stale on public.processing_queue (locked_at) where status = 'processing';

-- ---------------------------------------------------------------- hybrid search with filters and pages
-- search_documents (guide 002) with the search-engine's filters (MIME types, tags: all of them, a creation
-- window), an offset for pages, and the embedding model: chunks embedded by another model live in another
-- vector space, so the semantic half compares the query only with chunks of the query's model. Runs as the
-- caller: row-level security limits it to the caller's documents and those shared with their family vaults.
--
-- The nearest chunks come from the HNSW index, never from a sequential scan: the planner prices a scan of
-- the table below the index for tens of thousands of rows because it does not count reading the vectors out
-- of TOAST (6 KB each at 1536 dimensions), which makes that scan 50-100 times slower (measured with
-- benchmarks/documents.py). Hence enable_seqscan off inside this function only, and pgvector's iterative index
-- scan (0.8+) so the row-level security, model and filter conditions still leave enough rows after the index.
-- pgvector defines its hnsw.* settings when its library loads; until then they are placeholders, which a role
-- that is not superuser (postgres on Supabase) may not name in a function's SET clause. Using the type loads it.
select '[1]'::extensions.vector;
create or replace function public.search_documents_page(
  p_query text,
  p_query_embedding extensions.vector(1536),
  p_embedding_model text default null,
  p_limit integer default 10,
  p_offset integer default 0,
  p_mime_types text[] default null,
  p_tags text[] default null,
  p_created_from timestamptz default null,
  p_created_to timestamptz default null,
  p_full_text_weight double precision default 1.0,
  p_semantic_weight double precision default 1.0,
  p_rrf_k integer default 50
)
returns table (
  id uuid,
  user_id uuid,
  title text,
  ai_summary text,
  file_name text,
  mime_type text,
  tags text[],
  created_at timestamptz,
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
set enable_seqscan = off
set hnsw.iterative_scan = relaxed_order
set hnsw.ef_search = 100
as $$
  -- Limits are written as expressions of the parameters, not subqueries: with a LIMIT it cannot see, the
  -- planner sorts every chunk instead of reading the nearest from the index (30x slower at 10,000 chunks).
  with params as (
    select websearch_to_tsquery('english', coalesce(p_query, '')) as query
  ),
  candidates as (
    select d.id
    from public.documents d
    where (p_mime_types is null or d.mime_type = any (p_mime_types))
      and (p_tags is null or d.tags @> p_tags)
      and (p_created_from is null or d.created_at >= p_created_from)
      and (p_created_to is null or d.created_at < p_created_to)
  ),
  full_text as (
    select d.id,
           row_number() over (order by ts_rank_cd(d.search_vector, p.query) desc, d.id) as rank_ix
    from public.documents d
    join candidates c on c.id = d.id, params p
    where d.search_vector @@ p.query
    order by rank_ix
    limit (least(greatest(coalesce(p_limit, 10), 1), 101) + least(greatest(coalesce(p_offset, 0), 0), 1000)) * 2
  ),
  nearest_chunks as (
    select e.document_id, e.embedding operator(extensions.<=>) p_query_embedding as distance
    from public.document_embeddings e
    where p_query_embedding is not null
      and (p_embedding_model is null or e.model = p_embedding_model)
      and e.document_id in (select c.id from candidates c)
    order by e.embedding operator(extensions.<=>) p_query_embedding
    limit (least(greatest(coalesce(p_limit, 10), 1), 101) + least(greatest(coalesce(p_offset, 0), 0), 1000)) * 8
  ),
  semantic as (
    select c.document_id as id,
           min(c.distance) as distance,
           row_number() over (order by min(c.distance), c.document_id) as rank_ix
    from nearest_chunks c
    group by c.document_id
  )
  select d.id, d.user_id, d.title, d.ai_summary, d.file_name, d.mime_type, d.tags, d.created_at, d.status,
         ft.rank_ix::integer, s.rank_ix::integer,
         (1 - s.distance)::double precision,
         (coalesce(1.0 / (p_rrf_k + ft.rank_ix), 0.0) * p_full_text_weight
          + coalesce(1.0 / (p_rrf_k + s.rank_ix), 0.0) * p_semantic_weight)::double precision as score
  from full_text ft
  full outer join semantic s on s.id = ft.id
  join public.documents d on d.id = coalesce(ft.id, s.id)
  order by score desc, d.id
  limit least(greatest(coalesce(p_limit, 10), 1), 101) offset least(greatest(coalesce(p_offset, 0), 0), 1000);
$$;
revoke all on function public.search_documents_page(
  text, extensions.vector, text, integer, integer, text[], text[], timestamptz, timestamptz,
  double precision, double precision, integer) from public, anon;
grant execute on function public.search_documents_page(
  text, extensions.vector, text, integer, integer, text[], text[], timestamptz, timestamptz,
  double precision, double precision, integer) to authenticated, service_role;
