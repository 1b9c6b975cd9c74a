-- The chat's full-text fallback (functions/ai-chat/retrieval.ts, used when no embeddings provider answers or the
-- caller's embedding budget is spent) reads the caller's readable chunks only, not every user's.
--
-- The fallback was a query on document_embeddings with to_tsvector(content) @@ websearch_to_tsquery(...). Under
-- row-level security the match (@@, not leakproof) may not run before the read policy, so PostgreSQL read every
-- user's documents or chunks (whichever the plan took first) and tested the policy on each: for every other user's
-- row a call of private.is_document_shared_with_me, about a millisecond. One chat message of a user whose
-- embedding budget is spent became a pass over the whole table, a cost one account could impose on the shared
-- database. An index on the text (GIN on to_tsvector) cannot help: the planner may not use a non-leakproof
-- operator as an index condition ahead of the policy, so the match would still wait for it.
--
-- Hence the same shape as search_documents_page (20261207190234): the candidate documents come from the caller's
-- own (by user_id) and those shared into their vaults, their chunks are read by document_id (the unique
-- (document_id, chunk_index) index), and only those are parsed and ranked. The read policy still applies to each
-- row read (security invoker); this only keeps it from reading the rest. PL/pgSQL with force_custom_plan, as there:
-- every call is planned with its document and limit.
create or replace function public.match_document_chunks_full_text(
  p_query text,
  p_document_id uuid default null,
  p_limit integer default 6
)
returns table (document_id uuid, title text, content text)
language plpgsql
stable
security invoker
set search_path = ''
set enable_seqscan = off
set plan_cache_mode = force_custom_plan
as $$
#variable_conflict use_column
begin
  return query
  with params as (
    select websearch_to_tsquery('english'::regconfig, coalesce(p_query, '')) as query
  ),
  visible as (
    select o.id from public.documents o where o.user_id = (select auth.uid())
    union
    select s.document_id from public.family_vault_documents s
    join public.family_members m on m.vault_id = s.vault_id
    where m.user_id = (select auth.uid())
  ),
  candidates as (
    select v.id from visible v where p_document_id is null or v.id = p_document_id
  ),
  matches as (
    select e.document_id, e.chunk_index, e.content,
           ts_rank_cd(to_tsvector('english'::regconfig, e.content), p.query) as rank
    from public.document_embeddings e, params p
    where e.document_id in (select c.id from candidates c)
      and to_tsvector('english'::regconfig, e.content) @@ p.query
  )
  select m.document_id, d.title, m.content
  from matches m
  join public.documents d on d.id = m.document_id
  order by m.rank desc, m.document_id, m.chunk_index
  limit least(greatest(coalesce(p_limit, 6), 1), 100);
end
$$;
revoke all on function public.match_document_chunks_full_text(text, uuid, integer) from public, anon;
grant execute on function public.match_document_chunks_full_text(text, uuid, integer) to authenticated, service_role;
