/**
 * The load run's baselines: for each function of the mix, a bare Deno handler doing that function's database work
 * with the function's own query code (`POST /<function>`, body: the function's body plus `user_id`). What a bare
 * handler leaves out is what each function's p95 is compared against: the gateway and its JWT check, the shared
 * frame (request ids, logs, metrics, error mapping), the rate limit, body validation, and the provider calls. What
 * it keeps is the query as the function runs it: as the caller where the function acts as the caller (the same
 * transaction-local role and claims, so row-level security costs the same), each with its own pool of three
 * connections as each function has.
 *
 *   ai-chat-message           the chat context (conversation, model settings, allowance, history) and the exchange
 *                             saved (both messages and the usage row), with a fixed reply instead of the provider's
 *   search-engine             search_documents_page as the caller, the query embedded locally (bag of words)
 *   professional-marketplace  the directory query as the caller, uncached
 *   family-vault              list_vaults or list_documents as the caller
 *   document-upload           the bucket's rules and the document row (quota read and insert), no Storage call
 *   create-support-ticket     the ticket insert as the caller, no e-mail
 *   subscription-manager      the webhook event recorded once (record_webhook_event and its status), no signature
 *
 * Prints `BASELINE_READY {"url"}`; serves until SIGTERM. Environment: SUPABASE_DB_URL.
 */
import type { SignedInUser } from "../../functions/_shared/auth.ts";
import { createDatabase, type Database } from "../../functions/_shared/db.ts";
import { loadChatContext, saveExchange } from "../../functions/ai-chat-message/chat_store.ts";
import { insertTicket } from "../../functions/create-support-ticket/handler.ts";
import { bucketRules, createDocument } from "../../functions/document-upload/store.ts";
import { listDocuments, listVaults } from "../../functions/family-vault/vaults.ts";
import { searchListings } from "../../functions/professional-marketplace/listings.ts";
import { recordAndApply } from "../../functions/subscription-manager/apply.ts";
import { bagOfWords } from "../../tests/functions/support/fake_embeddings.ts";

// deno-lint-ignore no-explicit-any
type Body = Record<string, any>;
type Bare = (db: Database, user: SignedInUser, body: Body) => Promise<unknown>;

const REPLY_USAGE = { inputTokens: 120, outputTokens: 80 };

export const BARE_HANDLERS: Record<string, Bare> = {
  "ai-chat-message": async (db, user, body) => {
    const openai = { provider: "openai" as const, model: "gpt-4o-mini" };
    await loadChatContext(db, user, { conversationId: body.conversation_id }, 20, openai);
    return await saveExchange(db, user, {
      conversationId: body.conversation_id,
      content: body.content,
      reply: "A bare reply.",
      choice: openai,
      usage: REPLY_USAGE,
      costUsd: 0,
      metadata: { request_id: crypto.randomUUID() },
    });
  },
  "search-engine": (db, user, body) =>
    db.asCaller(user, (tx) =>
      tx`
        select * from public.search_documents_page(
          p_query => ${body.query},
          p_query_embedding => ${`[${bagOfWords(body.query).join(",")}]`}::extensions.vector,
          p_embedding_model => 'text-embedding-3-small',
          p_limit => 11,
          p_offset => 0)`),
  "professional-marketplace": (db, user, body) =>
    searchListings(db, user, { profession: body.profession, limit: body.limit ?? 20, offset: 0 }),
  "family-vault": (db, user, body) =>
    db.asCaller(
      user,
      (tx) => body.action === "list_documents" ? listDocuments(tx, body.vault_id) : listVaults(tx, user.userId),
    ),
  "document-upload": async (db, user, body) => {
    await bucketRules(db);
    return await createDocument(db, user, {
      title: body.file_name,
      fileName: body.file_name,
      filePath: `${user.userId}/${crypto.randomUUID()}/${body.file_name}`,
      mimeType: body.mime_type,
      fileSize: body.file_size,
      tags: [],
    });
  },
  "create-support-ticket": (db, user, body) => insertTicket(db, { user }, body as Parameters<typeof insertTicket>[2]),
  "subscription-manager": (db, _user, body) =>
    recordAndApply(db, {
      provider: "stripe",
      id: body.id,
      type: body.type,
      occurredAt: new Date(body.created * 1000),
      payload: body,
      ignored: `event type ${body.type} is not handled`,
    }),
};

export function serveBareHandlers(env: Record<string, string>) {
  const pools = new Map(Object.keys(BARE_HANDLERS).map((name) => [name, createDatabase(env)]));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const name = new URL(req.url).pathname.slice(1);
    const bare = BARE_HANDLERS[name];
    if (!bare) return new Response(`no bare handler ${name}`, { status: 404 });
    const body: Body = await req.json();
    const user: SignedInUser = {
      userId: body.user_id,
      role: "authenticated",
      claims: { sub: body.user_id, role: "authenticated" },
    };
    try {
      return Response.json({ result: await bare(pools.get(name)!, user, body) });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 });
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      await server.shutdown();
      await Promise.all([...pools.values()].map((db) => db.close()));
    },
  };
}

if (import.meta.main) {
  const bare = serveBareHandlers(Deno.env.toObject());
  console.log(`BASELINE_READY ${JSON.stringify({ url: bare.url })}`);
  Deno.addSignalListener("SIGTERM", async () => {
    await bare.close();
    Deno.exit(0);
  });
}
