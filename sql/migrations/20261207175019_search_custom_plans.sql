-- search_documents_page plans every call with its arguments (a custom plan), on every PostgreSQL version.
--
-- Found by the search benchmark at 100,000 chunks (benchmarks/search_scale.py): the SQL function answered in
-- 20 ms for its first five calls on a connection and in 1.5-2.6 s from the sixth on. PostgreSQL caches a
-- function's plan per session and, after five calls, switches to a generic plan when it estimates it no worse;
-- a generic plan cannot see the LIMIT's value (an expression of p_limit and p_offset), assumes a tenth of the
-- table, and sorts every chunk by distance instead of reading the nearest from the HNSW index. The functions'
-- pooled connections live for many calls, so every search after the fifth on a connection paid a full sort:
-- seconds at 100,000 chunks, many more at a million. (PostgreSQL before 18 plans a SQL function's statements
-- without its arguments' values every time, which is the generic plan on every call.)
--
-- Hence PL/pgSQL, whose statements go through the plan cache on every version, with plan_cache_mode =
-- force_custom_plan for this function only: planning takes about a millisecond, a sort of every chunk takes
-- seconds. The body is the same query as 20261201200100_document_pipeline.sql's; #variable_conflict use_column
-- keeps its column names (id, score, ...) meaning columns, not the function's output parameters.
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
end
$$;
