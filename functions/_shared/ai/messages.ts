/**
 * A chat message row in public.messages, written the one way both chat functions (ai-chat, ai-chat-message) save
 * them. The content is made storable here: PostgreSQL refuses a NUL character, and a provider's reply that holds
 * one arrives after the call has been paid for, so it is kept (as U+FFFD) instead of failing the save.
 */
import { jsonb, type Tx } from "../db.ts";
import { storableText } from "../storable.ts";

export interface NewMessage {
  conversationId: string;
  userId: string;
  role: "user" | "assistant";
  content: string;
  provider: string;
  model: string | null;
  tokenCount: number | null;
  documentId?: string | null;
  metadata: unknown;
}

export interface SavedMessage {
  id: string;
  role: string;
  content: string;
  model_provider: string | null;
  ai_model: string | null;
  token_count: number | null;
  document_id: string | null;
  created_at: string;
}

export async function insertMessage(tx: Tx, message: NewMessage): Promise<SavedMessage> {
  // clock_timestamp, not now(): a question and its reply share a transaction, and the reply must sort after it.
  const [row] = await tx<SavedMessage[]>`
    insert into public.messages
      (conversation_id, user_id, role, content, model_provider, ai_model, token_count, document_id, metadata,
       created_at)
    values (${message.conversationId}, ${message.userId}, ${message.role}, ${storableText(message.content)},
            ${message.provider}, ${message.model}, ${message.tokenCount}, ${message.documentId ?? null},
            ${jsonb(tx, message.metadata)}, clock_timestamp())
    returning id, role, content, model_provider, ai_model, token_count, document_id, created_at`;
  return row;
}
