/**
 * What the chat reads and writes, as the user (RLS decides what exists): the conversation, the user's model
 * settings, the recent history; then the exchange (both messages) and its usage, in one transaction.
 */
import type { SignedInUser } from "../_shared/auth.ts";
import { aiAllowance, modelNotAllowed } from "../_shared/ai/allowance.ts";
import type { ModelChoice } from "../_shared/ai/fallback.ts";
import { fitHistory } from "../_shared/ai/history.ts";
import { parseProviderName } from "../_shared/ai/providers.ts";
import type { ChatMessage, ProviderId, Usage } from "../_shared/ai/types.ts";
import { insertMessage, type SavedMessage as MessageRow } from "../_shared/ai/messages.ts";
import { becomeServiceRole, type Database, jsonb, sqlState, type Tx } from "../_shared/db.ts";
import { badRequest, notFound } from "../_shared/errors.ts";

export const ACTION = "ai-chat-message";

export interface ModelSettings {
  temperature: number;
  maxTokens: number;
  system?: string;
}

export interface ChatContext {
  /** The provider and model asked for (request, else the conversation's, else the user's default model). */
  primary: ModelChoice;
  settings: ModelSettings;
  history: ChatMessage[];
}

interface ConfigRow {
  provider: string;
  model_name: string;
  temperature: string;
  max_tokens: number;
  system_prompt: string | null;
  is_default: boolean;
}

export const DEFAULT_SETTINGS: ModelSettings = { temperature: 0.7, maxTokens: 2000 };

export async function loadChatContext(
  db: Database,
  user: SignedInUser,
  request: { conversationId: string; provider?: ProviderId; model?: string },
  historyLimit: number,
  fallbackFirst: ModelChoice,
): Promise<ChatContext> {
  return await db.asCaller(user, async (tx) => {
    const [conversation] = await tx<{ model_provider: string | null; model_name: string | null }[]>`
      select model_provider, model_name from public.conversations where id = ${request.conversationId}`;
    if (!conversation) throw conversationNotFound(request.conversationId);
    const configs = await tx<ConfigRow[]>`
      select provider, model_name, temperature, max_tokens, system_prompt, is_default
      from public.ai_model_configs order by is_default desc, created_at`;
    const primary = choosePrimary(request, conversation, configs, fallbackFirst);
    // The tier decides (private.ai_tier_models, private.ai_tier_limits): a model the user named, through the
    // request, the conversation or a configuration, must be one of the tier's; the operator's default models
    // (an empty model here, or the fallback order's first) are the operator's choice.
    const allowance = await aiAllowance(tx, user.userId, primary);
    const chosenByUser = primary !== fallbackFirst && primary.model !== "";
    if (chosenByUser && !allowance.modelAllowed) throw modelNotAllowed(primary, allowance);
    // Each message is read cut one character past the budget: one that long cannot fit and is dropped whole by
    // fitHistory, and rows stored before the size limit existed never reach the function's memory in full.
    const readLength = allowance.maxHistoryCharacters + 1;
    const history = await tx<ChatMessage[]>`
      select role, content from (
        select role, left(content, ${readLength}) as content, created_at from public.messages
        where conversation_id = ${request.conversationId} and role in ('user', 'assistant')
        order by created_at desc limit ${Math.min(historyLimit, allowance.maxHistoryMessages)}
      ) recent order by created_at`;
    const settings = settingsFor(primary, configs);
    const bounded = fitHistory(history, settings.system, allowance.maxHistoryCharacters);
    return {
      primary,
      settings: { ...settings, system: bounded.system, maxTokens: Math.min(settings.maxTokens, allowance.maxTokens) },
      history: bounded.history,
    };
  });
}

/** Request first, then the conversation's model, then the user's default configuration, then the fallback order. */
function choosePrimary(
  request: { provider?: ProviderId; model?: string },
  conversation: { model_provider: string | null; model_name: string | null },
  configs: readonly ConfigRow[],
  fallbackFirst: ModelChoice,
): ModelChoice {
  const ofProvider = (id: ProviderId) => configs.find((c) => parseProviderName(c.provider) === id);
  if (request.provider) {
    return { provider: request.provider, model: request.model ?? ofProvider(request.provider)?.model_name ?? "" };
  }
  if (request.model) {
    const config = configs.find((c) => c.model_name === request.model && parseProviderName(c.provider));
    if (config) return { provider: parseProviderName(config.provider)!, model: config.model_name };
    // A model we cannot place would be sent to whichever provider comes first: ask instead.
    const message = `is required when model_name (${request.model}) is not one of your configured models`;
    throw badRequest("invalid_request", `Invalid request: model_provider: ${message}`, {
      fields: [{ field: "model_provider", message }],
    });
  }
  const conversationProvider = conversation.model_provider ? parseProviderName(conversation.model_provider) : undefined;
  if (conversationProvider) {
    return {
      provider: conversationProvider,
      model: conversation.model_name ?? ofProvider(conversationProvider)?.model_name ?? "",
    };
  }
  const preferred = configs.find((c) => parseProviderName(c.provider));
  if (preferred) return { provider: parseProviderName(preferred.provider)!, model: preferred.model_name };
  return fallbackFirst;
}

/** The settings of the configuration for exactly this model, else of any for the provider, else the defaults. */
function settingsFor(choice: ModelChoice, configs: readonly ConfigRow[]): ModelSettings {
  const config =
    configs.find((c) => parseProviderName(c.provider) === choice.provider && c.model_name === choice.model) ??
      configs.find((c) => parseProviderName(c.provider) === choice.provider);
  if (!config) return DEFAULT_SETTINGS;
  return {
    temperature: Number(config.temperature),
    maxTokens: config.max_tokens,
    system: config.system_prompt?.trim() || undefined,
  };
}

export interface Exchange {
  conversationId: string;
  content: string;
  reply: string;
  choice: ModelChoice;
  usage: Usage;
  costUsd: number | null;
  /** Stored with the reply: which providers were tried, and the request id (to find its logs). */
  metadata: Record<string, unknown>;
}

export type SavedMessage = Omit<MessageRow, "document_id">;

/**
 * Saves the user's message as the user (RLS: only into their own conversation), then, as service_role in the same
 * transaction, what users may not write themselves: the reply (users write only role 'user' messages, so the health
 * check counts only replies the backend wrote) and the usage row.
 */
export async function saveExchange(
  db: Database,
  user: SignedInUser,
  exchange: Exchange,
): Promise<{ userMessage: SavedMessage; reply: SavedMessage }> {
  try {
    return await db.asCaller(user, async (tx) => {
      const userMessage = await saveMessage(tx, user.userId, exchange, "user");
      await tx`update public.conversations set updated_at = now() where id = ${exchange.conversationId}`;
      await becomeServiceRole(tx);
      const reply = await saveMessage(tx, user.userId, exchange, "assistant");
      const { inputTokens, outputTokens } = exchange.usage;
      const usageMetadata = {
        provider: exchange.choice.provider,
        model: exchange.choice.model,
        input_tokens: inputTokens,
        output_tokens: outputTokens,
        conversation_id: exchange.conversationId,
        message_id: reply.id,
      };
      await tx`
        insert into public.usage_metrics (user_id, action, metric_type, quantity, cost_usd, metadata)
        values (${user.userId}, ${ACTION}, 'tokens', ${(inputTokens ?? 0) + (outputTokens ?? 0)}, ${exchange.costUsd},
                ${jsonb(tx, usageMetadata)})`;
      return { userMessage, reply };
    });
  } catch (error) {
    // The conversation went away (or stopped being the user's) while the provider was answering.
    if (sqlState(error) === "42501" || sqlState(error) === "23503") throw conversationNotFound(exchange.conversationId);
    throw error;
  }
}

async function saveMessage(tx: Tx, userId: string, exchange: Exchange, role: "user" | "assistant") {
  const isReply = role === "assistant";
  const { document_id: _, ...row } = await insertMessage(tx, {
    conversationId: exchange.conversationId,
    userId,
    role,
    content: isReply ? exchange.reply : exchange.content,
    provider: exchange.choice.provider,
    model: isReply ? exchange.choice.model : null,
    tokenCount: isReply ? exchange.usage.outputTokens : exchange.usage.inputTokens,
    metadata: isReply ? exchange.metadata : { request_id: exchange.metadata.request_id ?? null },
  });
  return row;
}

export function conversationNotFound(id: string) {
  return notFound(
    "conversation_not_found",
    `Conversation ${id} was not found among your conversations; check conversation_id or create the conversation first`,
  );
}
