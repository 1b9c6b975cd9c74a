/**
 * ai-chat-message: a signed-in user's message to a conversation, answered by an AI provider with fallback.
 *
 * Order of work: rate limit (action `ai-chat-message`), body, conversation (404 when RLS hides it), model settings
 * and history; then the provider call, with no transaction open; then both messages and the usage row in one
 * transaction. With `"stream": true` the reply goes out as server-sent events and is saved when it ends.
 */
import { type AiConfig, readAiConfig } from "../_shared/ai/providers.ts";
import { completeWithFallback } from "../_shared/ai/fallback.ts";
import { estimateCostUsd } from "../_shared/ai/pricing.ts";
import { releaseAiTokens, reserveAiTokens, settleAiTokens } from "../_shared/ai/spend.ts";
import { createDatabase, type Database } from "../_shared/db.ts";
import { type Env, envInt } from "../_shared/env.ts";
import { createUserFunction, type EdgeFunction, type UserRequestContext } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { parseBody } from "../_shared/validation.ts";
import { ACTION, type ChatContext, loadChatContext, saveExchange } from "./chat_store.ts";
import { chatInput, replyMetadata } from "./chat_input.ts";
import { ChatRequestBody } from "./request.ts";
import { streamReply } from "./stream.ts";

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction({ name: ACTION, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    const limit = await enforceRateLimit(db, ctx.user, ACTION);
    const body = await parseBody(req, ChatRequestBody);
    const ai = readAiConfig(env);
    const chat = await prepareChat(db, ctx, ai, body, envInt(env, "AI_HISTORY_MESSAGES", 20, 0, 200));
    const headers = rateLimitHeaders(limit);
    if (body.stream) {
      return await streamReply({
        db,
        ctx,
        ai,
        chat,
        content: body.content,
        conversationId: body.conversation_id,
        headers,
      });
    }
    return await answerWhole(db, ctx, ai, chat, body.conversation_id, body.content, headers);
  });
}

async function prepareChat(
  db: Database,
  ctx: UserRequestContext,
  ai: AiConfig,
  body: ChatRequestBody,
  historyLimit: number,
): Promise<ChatContext> {
  const first = ai.order[0] ?? "openai";
  const chat = await loadChatContext(
    db,
    ctx.user,
    { conversationId: body.conversation_id, provider: body.model_provider, model: body.model_name },
    historyLimit,
    { provider: first, model: ai.providers[first].defaultModel },
  );
  // A provider asked for without a model (and none configured for it) gets its default model.
  if (!chat.primary.model) chat.primary = { ...chat.primary, model: ai.providers[chat.primary.provider].defaultModel };
  return chat;
}

async function answerWhole(
  db: Database,
  ctx: UserRequestContext,
  ai: AiConfig,
  chat: ChatContext,
  conversationId: string,
  content: string,
  headers: Record<string, string>,
): Promise<Response> {
  const input = chatInput(chat, content);
  const reservation = await reserveAiTokens(db, ctx.user.userId, input, ACTION);
  let answered;
  try {
    answered = await completeWithFallback(ai, chat.primary, input, ctx.log);
  } catch (error) {
    await releaseAiTokens(db, reservation);
    throw error;
  }
  const { choice, result, attempts } = answered;
  await settleAiTokens(db, reservation, result.usage, attempts.length);
  const costUsd = estimateCostUsd(choice.provider, choice.model, result.usage);
  const saved = await saveExchange(db, ctx.user, {
    conversationId,
    content,
    reply: result.text,
    choice,
    usage: result.usage,
    costUsd,
    metadata: replyMetadata(ctx, chat.primary, attempts, result.model),
  });
  ctx.log.info("reply saved", { provider: choice.provider, model: choice.model, fallback: attempts.length > 1 });
  return jsonResponse(
    {
      conversation_id: conversationId,
      user_message: saved.userMessage,
      message: saved.reply,
      usage: { input_tokens: result.usage.inputTokens, output_tokens: result.usage.outputTokens, cost_usd: costUsd },
      fallback: { used: attempts.length > 1, requested: chat.primary, attempts },
    },
    200,
    headers,
  );
}
