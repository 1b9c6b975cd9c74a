/**
 * The excerpts an answer may draw on: the chunks of the caller's readable documents (their own and those shared
 * with their family vaults; row-level security decides) nearest to the question, or, when no embeddings provider
 * answers, the chunks that match it by full text. A conversation about one document searches only that one.
 */
import type { SignedInUser } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { embeddingDimension, embedQueryForUser, readEmbeddingConfig } from "../_shared/embeddings.ts";
import type { Env } from "../_shared/env.ts";
import type { Logger } from "../_shared/log.ts";

export interface Excerpt {
  /** 1-based: the answer cites it as [n]. */
  number: number;
  documentId: string;
  title: string;
  content: string;
}

export async function retrieve(
  env: Env,
  db: Database,
  user: SignedInUser,
  question: string,
  options: { documentId: string | null; count: number },
  log: Logger,
): Promise<{ excerpts: Excerpt[]; method: "semantic" | "full_text" }> {
  const config = readEmbeddingConfig(env, await embeddingDimension(db));
  const { vector, model } = await embedQueryForUser(db, user.userId, "ai-chat", config, question, log);
  if (vector === null) log.warn("retrieving by full text: no embeddings provider answered");
  const rows = await db.asCaller(user, async (tx) => {
    // The HNSW index, not a scan of every vector (see search_documents_page in sql/migrations/20261201200100).
    await tx`select set_config('enable_seqscan', 'off', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`;
    return await (vector
      ? tx<{ document_id: string; title: string; content: string }[]>`
          select e.document_id, d.title, e.content
          from public.document_embeddings e join public.documents d on d.id = e.document_id
          where e.model = ${model} and (${options.documentId}::uuid is null or e.document_id = ${options.documentId})
          order by e.embedding operator(extensions.<=>) ${vector}::extensions.vector
          limit ${options.count}`
      // The caller's readable chunks only, never a parse of every user's (sql/migrations/20261207190800).
      : tx<{ document_id: string; title: string; content: string }[]>`
          select document_id, title, content
          from public.match_document_chunks_full_text(${question}, ${options.documentId}::uuid, ${options.count})`);
  });
  return {
    excerpts: rows.map((row, index) => ({
      number: index + 1,
      documentId: row.document_id,
      title: row.title,
      content: row.content,
    })),
    method: vector ? "semantic" : "full_text",
  };
}

export function systemPrompt(excerpts: readonly Excerpt[]): string {
  const intro = "You answer questions about the user's own documents. Use only the numbered excerpts below. " +
    "After each statement, cite the excerpts it comes from as [1], [2]. If the excerpts do not answer the question, " +
    "say so plainly.";
  if (excerpts.length === 0) return `${intro}\n\nThere are no excerpts: none of the user's documents matches.`;
  const listed = excerpts.map((e) => `[${e.number}] (${e.title})\n${e.content}`).join("\n\n");
  return `${intro}\n\nExcerpts:\n\n${listed}`;
}

/** The documents the reply cites by number, in the order first cited; unknown numbers are ignored. */
export function citedDocuments(reply: string, excerpts: readonly Excerpt[]): { document_id: string; title: string }[] {
  const cited: { document_id: string; title: string }[] = [];
  for (const match of reply.matchAll(/\[(\d{1,3})\]/g)) {
    const excerpt = excerpts.find((e) => e.number === Number(match[1]));
    if (excerpt && !cited.some((c) => c.document_id === excerpt.documentId)) {
      cited.push({ document_id: excerpt.documentId, title: excerpt.title });
    }
  }
  return cited;
}
