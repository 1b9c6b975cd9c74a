/**
 * ai-chat: guide 002's document chat. `{"conversationId": "<uuid>", "message": "..."}` is answered from the
 * caller's documents: the nearest excerpts (retrieval.ts) go to the AI provider with the recent history, through
 * the providers' fallback; the reply cites the excerpts it used ([1], [2]) and the answer lists those documents.
 * Both messages and the usage row are stored together in the vault's chat tables (messages.document_id is the
 * first document cited).
 *
 *   200 {conversationId, message: {id, role, content, document_id, created_at}, citations: [{document_id, title}],
 *        sources: [{number, document_id, title}], retrieval, usage, fallback}
 */
import { modelNotAllowed } from "../_shared/ai/allowance.ts";
import { completeWithFallback } from "../_shared/ai/fallback.ts";
import { fitHistory } from "../_shared/ai/history.ts";
import { estimateCostUsd } from "../_shared/ai/pricing.ts";
import { readAiConfig } from "../_shared/ai/providers.ts";
import { releaseAiTokens, reserveAiTokens, settleAiTokens } from "../_shared/ai/spend.ts";
import { createDatabase } from "../_shared/db.ts";
import { type Env, envInt } from "../_shared/env.ts";
import { createUserFunction, type EdgeFunction } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { parseBody, z } from "../_shared/validation.ts";
import { citedDocuments, retrieve, systemPrompt } from "./retrieval.ts";
import { ACTION, loadConversation, saveExchange } from "./store.ts";

export const MAX_MESSAGE_CHARACTERS = 8000;

const ChatRequest = z.object({
  conversationId: z.string({ required_error: "is required", invalid_type_error: "must be a string" })
    .uuid("must be a UUID (the id of one of your conversations)"),
  message: z.string({ required_error: "is required", invalid_type_error: "must be a string" })
    .trim().min(1, "must not be empty")
    .max(MAX_MESSAGE_CHARACTERS, `must be at most ${MAX_MESSAGE_CHARACTERS} characters`)
    // The database cannot store NUL: refused before anything is spent.
    .refine((text) => !text.includes("\0"), "must not contain NUL characters"),
}, { invalid_type_error: "must be a JSON object" }).strict("has unknown fields");

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction({ name: ACTION, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    const limit = await enforceRateLimit(db, ctx.user, ACTION);
    const body = await parseBody(req, ChatRequest);
    const ai = readAiConfig(env);
    const first = ai.order[0] ?? "openai";
    const primary = { provider: first, model: ai.providers[first].defaultModel };
    const conversation = await loadConversation(
      db,
      ctx.user,
      body.conversationId,
      envInt(env, "AI_HISTORY_MESSAGES", 20, 0, 200),
      primary,
    );
    const { allowance } = conversation;
    if (!allowance.modelAllowed) throw modelNotAllowed(primary, allowance);
    const { excerpts, method } = await retrieve(env, db, ctx.user, body.message, {
      documentId: conversation.documentId,
      count: envInt(env, "CHAT_EXCERPTS", 6, 1, 20),
    }, ctx.log);
    // The tier's budget bounds what one request sends and asks for (private.ai_tier_limits).
    // The new message always goes; older messages and the excerpts share what is left of the budget.
    const prompt = fitHistory(
      conversation.history,
      systemPrompt(excerpts),
      Math.max(0, allowance.maxHistoryCharacters - body.message.length),
    );
    const input = {
      system: prompt.system,
      messages: [...prompt.history, { role: "user" as const, content: body.message }],
      temperature: 0.2,
      maxTokens: Math.min(envInt(env, "CHAT_MAX_TOKENS", 1000, 50, 4000), allowance.maxTokens),
    };
    // Counted against the tier's daily AI tokens before the call; settled with the provider's count.
    const reservation = await reserveAiTokens(db, ctx.user.userId, input, ACTION);
    let answered;
    try {
      answered = await completeWithFallback(ai, primary, input, ctx.log);
    } catch (error) {
      await releaseAiTokens(db, reservation);
      throw error;
    }
    const { choice, result, attempts } = answered;
    await settleAiTokens(db, reservation, result.usage, attempts.length);
    const citations = citedDocuments(result.text, excerpts);
    const sources = excerpts.map((e) => ({ number: e.number, document_id: e.documentId, title: e.title }));
    const costUsd = estimateCostUsd(choice.provider, choice.model, result.usage);
    const saved = await saveExchange(db, ctx.user, {
      conversationId: body.conversationId,
      message: body.message,
      reply: result.text,
      provider: choice.provider,
      model: choice.model,
      usage: result.usage,
      costUsd,
      citedDocumentId: citations[0]?.document_id ?? null,
      metadata: {
        request_id: ctx.requestId,
        citations,
        sources,
        retrieval: method,
        attempts: attempts.map(({ provider, outcome }) => ({ provider, outcome })),
      },
    });
    ctx.log.info("document chat answered", { excerpts: excerpts.length, cited: citations.length, retrieval: method });
    return jsonResponse(
      {
        conversationId: body.conversationId,
        message: saved.answer,
        citations,
        sources,
        retrieval: method,
        usage: { input_tokens: result.usage.inputTokens, output_tokens: result.usage.outputTokens, cost_usd: costUsd },
        fallback: { used: attempts.length > 1, attempts },
      },
      200,
      rateLimitHeaders(limit),
    );
  });
}
