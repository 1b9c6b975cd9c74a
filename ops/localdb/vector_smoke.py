"""The vector smoke check: the pgvector workload that killed a server built for another CPU, run on purpose.

Builds an HNSW index on 1000 rows of 384 dimensions (the size of `document_embeddings` with a small model),
inserts after the index exists and asks for nearest neighbours through the index. A server whose pgvector
needs instructions this CPU lacks dies here, at start, with the reason in its log, instead of at the first
document a user embeds.
"""

from __future__ import annotations

SMOKE_ROWS = 1000
DIMENSIONS = 384

# Deterministic pseudo-random vectors in [-1, 1) (a sine hash of row i and dimension j). Plain sin(i * j)
# will not do: rows such as 355 (close to 113 pi) are near the origin and pull a greedy graph search to them.
_VECTOR_OF = (
    "(select array_agg((2 * ((abs(sin({i}::float8 * 12.9898 + j * 78.233)) * 43758.5453)::numeric % 1) - 1)::real"
    " order by j)"
    " from generate_series(1, {dims}) j)::vector"
)

SMOKE_SQL = f"""
begin;
set local search_path to pg_temp, extensions, public;
create temporary table vector_smoke (id int primary key, embedding vector({DIMENSIONS})) on commit drop;
insert into vector_smoke
    select i, {_VECTOR_OF.format(i="i", dims=DIMENSIONS)} from generate_series(1, {SMOKE_ROWS}) i;
create index on vector_smoke using hnsw (embedding vector_l2_ops);
insert into vector_smoke values ({SMOKE_ROWS + 1}, {_VECTOR_OF.format(i=SMOKE_ROWS + 1, dims=DIMENSIONS)});
set local enable_seqscan = off;
set local hnsw.ef_search = 100;
select string_agg(found::text, ',' order by probe) from (
    select probe, (select id from vector_smoke
                   order by embedding <-> {_VECTOR_OF.format(i="probe", dims=DIMENSIONS)} limit 1) as found
    from unnest(array[1, 500, {SMOKE_ROWS + 1}]) probe
) nearest;
commit;
"""

# Each probe is a stored row, so its nearest neighbour is itself.
EXPECTED_NEAREST = f"1,500,{SMOKE_ROWS + 1}"
