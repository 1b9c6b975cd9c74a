/**
 * The vault chat's rows, as the caller: the conversation (404 when row-level security hides it), its recent
 * history and what the caller's tier allows, then the question as the caller and, as service_role in the same
 * transaction, the reply and the usage row users may not write.
 */
import type { SignedInUser } from "../_shared/auth.ts";
import { type AiAllowance, aiAllowance } from "../_shared/ai/allowance.ts";
import type { ModelChoice } from "../_shared/ai/fallback.ts";
import type { ChatMessage, Usage } from "../_shared/ai/types.ts";
import { insertMessage } from "../_shared/ai/messages.ts";
import { becomeServiceRole, type Database, jsonb, sqlState } from "../_shared/db.ts";
import { notFound } from "../_shared/errors.ts";

export const ACTION = "ai-chat";

export interface Conversation {
  documentId: string | null;
  history: ChatMessage[];
  /** What the caller's tier allows for `choice` (private.ai_model_allowance): model, max_tokens, history. */
  allowance: AiAllowance;
}

export async function loadConversation(
  db: Database,
  user: SignedInUser,
  id: string,
  historyLimit: number,
  choice: ModelChoice,
) {
  return await db.asCaller(user, async (tx): Promise<Conversation> => {
    const [conversation] = await tx<{ document_id: string | null }[]>`
      select document_id from public.conversations where id = ${id} and user_id = ${user.userId}`;
    if (!conversation) throw conversationNotFound(id);
    const allowance = await aiAllowance(tx, user.userId, choice);
    historyLimit = Math.min(historyLimit, allowance.maxHistoryMessages);
    const history = await tx<ChatMessage[]>`
      select role, content from (
        select role, content, created_at from public.messages
        where conversation_id = ${id} and role in ('user', 'assistant')
        order by created_at desc limit ${historyLimit}
      ) recent order by created_at`;
    return { documentId: conversation.document_id, history: [...history], allowance };
  });
}

export interface Exchange {
  conversationId: string;
  message: string;
  reply: string;
  provider: string;
  model: string;
  usage: Usage;
  costUsd: number | null;
  citedDocumentId: string | null;
  metadata: Record<string, unknown>;
}

export async function saveExchange(db: Database, user: SignedInUser, exchange: Exchange) {
  try {
    return await db.asCaller(user, async (tx) => {
      const insert = async (
        role: "user" | "assistant",
        content: string,
        documentId: string | null,
        metadata: unknown,
      ) => {
        const { id, content: saved, document_id, created_at } = await insertMessage(tx, {
          conversationId: exchange.conversationId,
          userId: user.userId,
          role,
          content,
          provider: exchange.provider,
          model: role === "assistant" ? exchange.model : null,
          tokenCount: role === "assistant" ? exchange.usage.outputTokens : exchange.usage.inputTokens,
          documentId,
          metadata,
        });
        return { id, role, content: saved, document_id, created_at };
      };
      const question = await insert("user", exchange.message, null, { request_id: exchange.metadata.request_id });
      await tx`update public.conversations set updated_at = now() where id = ${exchange.conversationId}`;
      // Replies are the backend's to write (users may write only their own `user` messages).
      await becomeServiceRole(tx);
      const answer = await insert("assistant", exchange.reply, exchange.citedDocumentId, exchange.metadata);
      const tokens = (exchange.usage.inputTokens ?? 0) + (exchange.usage.outputTokens ?? 0);
      await tx`
        insert into public.usage_metrics (user_id, action, metric_type, quantity, cost_usd, metadata)
        values (${user.userId}, ${ACTION}, 'tokens', ${tokens}, ${exchange.costUsd},
                ${jsonb(tx, { provider: exchange.provider, model: exchange.model, message_id: answer.id })})`;
      return { question, answer };
    });
  } catch (error) {
    if (sqlState(error) === "42501" || sqlState(error) === "23503") throw conversationNotFound(exchange.conversationId);
    throw error;
  }
}

export function conversationNotFound(id: string) {
  return notFound(
    "conversation_not_found",
    `Conversation ${id} was not found among your conversations; check conversationId or create the conversation first`,
  );
}
