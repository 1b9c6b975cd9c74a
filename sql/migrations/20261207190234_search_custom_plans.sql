-- search_documents_page plans every call with its arguments (a custom plan), on every PostgreSQL version, and tests
-- the documents' read policy on the caller's documents only.
--
-- Found by the search benchmark at 100,000 chunks (benchmarks/search_scale.py): the SQL function answered in
-- 20 ms for its first five calls on a connection and in 1.5-2.6 s from the sixth on. PostgreSQL caches a
-- function's plan per session and, after five calls, switches to a generic plan when it estimates it no worse;
-- a generic plan cannot see the LIMIT's value (an expression of p_limit and p_offset), assumes a tenth of the
-- table, and sorts every chunk by distance instead of reading the nearest from the HNSW index. The functions'
-- pooled connections live for many calls, so every search after the fifth on a connection paid a full sort:
-- seconds at 100,000 chunks, many more at a million.
--
-- Hence PL/pgSQL, whose statements go through the plan cache on every version (not only 18's SQL functions), with
-- plan_cache_mode = force_custom_plan for this function only: planning takes about a millisecond, a sort of every
-- chunk takes seconds. The body is 20261201200100_document_pipeline.sql's query with the candidates below;
-- #variable_conflict use_column keeps its column names (id, score, ...) meaning columns, not output parameters.
--
-- Found by `make load`: with a few thousand documents of other users, a search took 1.3 s (5 s as PL/pgSQL, whose
-- custom plan put the read policy first). The policy (owner, or private.is_document_shared_with_me, about a
-- millisecond a call) was tested on every document of every user, because the full-text match (@@) is not
-- leakproof and may not run before it. The candidates now come from the caller's own documents (by user_id)
-- and those shared into their vaults, looked up by id; the policy still applies to each row read. 15-60 ms then.
--
-- pgvector defines its hnsw.* settings when its library loads; using the type loads it (see the earlier migration).
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
language plpgsql
stable
security invoker
set search_path = ''
set enable_seqscan = off
set hnsw.iterative_scan = relaxed_order
set hnsw.ef_search = 100
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
begin
  return query
  -- Limits are written as expressions of the parameters, not subqueries: with a LIMIT it cannot see, the
  -- planner sorts every chunk instead of reading the nearest from the index (30x slower at 10,000 chunks).
  with params as (
    select websearch_to_tsquery('english', coalesce(p_query, '')) as query
  ),
  -- The documents the caller may read, found through indexes (their own by user_id, and those shared into
  -- their vaults) rather than by testing the read policy on every document of every user: the policy's
  -- private.is_document_shared_with_me costs about a millisecond per call, and full text (@@, not leakproof)
  -- cannot go before it. The policy still applies to each row read; this only keeps it from reading the rest.
  visible as (
    select o.id from public.documents o where o.user_id = (select auth.uid())
    union
    select s.document_id from public.family_vault_documents s
    join public.family_members m on m.vault_id = s.vault_id
    where m.user_id = (select auth.uid())
  ),
  candidates as (
    select d.id
    from visible v
    join public.documents d on d.id = v.id
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
  -- Each hit's row through the candidates (a join on ids the planner can look up one by one), never a scan of
  -- every document under the read policy.
  join candidates c on c.id = coalesce(ft.id, s.id)
  join public.documents d on d.id = c.id
  order by score desc, d.id
  limit least(greatest(coalesce(p_limit, 10), 1), 101) offset least(greatest(coalesce(p_offset, 0), 0), 1000);
end
$$;
