/**
 * search-engine: hybrid search over the caller's documents and those shared with them through a family vault.
 *
 *   {"query", "filters"?: {"types"?, "tags"? (all of them), "created_from"?, "created_to"?}, "page"?, "page_size"?}
 *   -> 200 {results: [{id, title, ai_summary, file_name, mime_type, tags, created_at, status, shared, score,
 *                      similarity, full_text_rank, semantic_rank}], page, page_size, has_more,
 *           semantic: {used, model?, attempts}}
 *
 * The query is embedded (OpenAI, Hugging Face as fallback); search_documents_page runs as the caller, so row-level
 * security decides which documents exist. With no embeddings provider answering, the full-text half still answers
 * (`semantic.used: false`) rather than failing the search.
 */
import { createDatabase } from "../_shared/db.ts";
import { embeddingDimension, embedQueryForUser, readEmbeddingConfig } from "../_shared/embeddings.ts";
import type { Env } from "../_shared/env.ts";
import { createUserFunction, type EdgeFunction } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { parseBody } from "../_shared/validation.ts";
import { SearchRequest } from "./request.ts";

const NAME = "search-engine";

interface Hit {
  id: string;
  user_id: string;
  title: string;
  ai_summary: string | null;
  file_name: string;
  mime_type: string | null;
  tags: string[];
  created_at: string;
  status: string;
  full_text_rank: number | null;
  semantic_rank: number | null;
  similarity: number | null;
  score: number;
}

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction({ name: NAME, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    const limit = await enforceRateLimit(db, ctx.user, NAME);
    const body = await parseBody(req, SearchRequest);
    const config = readEmbeddingConfig(env, await embeddingDimension(db));
    const { vector, model, attempts } = await embedQueryForUser(db, ctx.user.userId, NAME, config, body.query, ctx.log);
    if (vector === null) ctx.log.warn("searching by full text only: no embeddings provider answered");
    const filters = body.filters ?? {};
    // One row more than the page: whether another page exists, without counting every match.
    const rows = await db.asCaller(ctx.user, (tx) =>
      tx<Hit[]>`
        select * from public.search_documents_page(
          p_query => ${body.query},
          p_query_embedding => ${vector}::extensions.vector,
          p_embedding_model => ${model},
          p_limit => ${body.page_size + 1},
          p_offset => ${(body.page - 1) * body.page_size},
          p_mime_types => ${filters.types ?? null},
          p_tags => ${filters.tags ?? null},
          p_created_from => ${filters.created_from ?? null}::timestamptz,
          p_created_to => ${filters.created_to ?? null}::timestamptz)`);
    const results = rows.slice(0, body.page_size).map(({ user_id, ...hit }) => ({
      ...hit,
      shared: user_id !== ctx.user.userId,
    }));
    return jsonResponse(
      {
        results,
        page: body.page,
        page_size: body.page_size,
        has_more: rows.length > body.page_size,
        semantic: { used: vector !== null, ...(model ? { model } : {}), attempts },
      },
      200,
      rateLimitHeaders(limit),
    );
  });
}
