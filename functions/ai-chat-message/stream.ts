/**
 * The reply as server-sent events:
 *   event: start  {conversation_id, model_provider, ai_model, fallback}
 *   event: delta  {text}                                   (as many as the provider sends)
 *   event: done   {user_message, message, usage}           (after both messages are saved)
 *   event: error  {code, message, request_id}              (the provider stopped mid-reply, or saving failed)
 * Falling back is possible until the first delta; a provider that fails later ends the stream with `error`, and
 * nothing is saved (the user sends the message again). A client that goes away stops the provider; nothing is
 * saved either.
 */
import { type AiConfig } from "../_shared/ai/providers.ts";
import { drainStream, openStreamWithFallback } from "../_shared/ai/fallback.ts";
import { asProviderFailure } from "../_shared/ai/failure.ts";
import { estimateCostUsd } from "../_shared/ai/pricing.ts";
import { releaseAiTokens, reserveAiTokens, settleAiTokens } from "../_shared/ai/spend.ts";
import type { Database } from "../_shared/db.ts";
import { toHttpError, type UserRequestContext } from "../_shared/function.ts";
import { ACTION, type ChatContext, saveExchange } from "./chat_store.ts";
import { chatInput, replyMetadata } from "./chat_input.ts";

export interface StreamArgs {
  db: Database;
  ctx: UserRequestContext;
  ai: AiConfig;
  chat: ChatContext;
  conversationId: string;
  content: string;
  headers: Record<string, string>;
}

export async function streamReply(args: StreamArgs): Promise<Response> {
  const { db, ctx, ai, chat, conversationId, content } = args;
  // Before the first byte: a 503 (no provider) is still an ordinary JSON error.
  const input = chatInput(chat, content);
  const reservation = await reserveAiTokens(db, ctx.user.userId, input, ACTION);
  let opened: Awaited<ReturnType<typeof openStreamWithFallback>>;
  try {
    opened = await openStreamWithFallback(ai, chat.primary, input, ctx.log);
  } catch (error) {
    await releaseAiTokens(db, reservation);
    throw error;
  }
  const encoder = new TextEncoder();
  let clientGone = false;

  const pump = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    const send = (event: string, data: unknown) => {
      if (!clientGone) controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    };
    send("start", {
      conversation_id: conversationId,
      model_provider: opened.choice.provider,
      ai_model: opened.choice.model,
      fallback: { used: opened.attempts.length > 1, requested: chat.primary, attempts: opened.attempts },
    });
    try {
      let reply: Awaited<ReturnType<typeof drainStream>>;
      try {
        reply = await drainStream(opened, (delta) => send("delta", { text: delta }));
      } catch (error) {
        if (clientGone) ctx.log.info("the client left before the reply ended; nothing saved");
        else send("error", interrupted(error, ctx));
        return;
      }
      if (clientGone) return;
      const { text, usage } = reply;
      await settleAiTokens(db, reservation, usage, opened.attempts.length);
      const costUsd = estimateCostUsd(opened.choice.provider, opened.choice.model, usage);
      try {
        const saved = await saveExchange(db, ctx.user, {
          conversationId,
          content,
          reply: text,
          choice: opened.choice,
          usage,
          costUsd,
          metadata: { ...replyMetadata(ctx, chat.primary, opened.attempts), streamed: true },
        });
        send("done", {
          user_message: saved.userMessage,
          message: saved.reply,
          usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, cost_usd: costUsd },
        });
        ctx.log.info("streamed reply saved", { provider: opened.choice.provider, model: opened.choice.model });
      } catch (error) {
        const failure = toHttpError(error, ctx.log);
        send("error", { code: failure.code, message: failure.message, request_id: ctx.requestId });
      }
    } finally {
      if (!clientGone) controller.close();
    }
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // Not awaited: the response must go out now, and the events follow as the provider sends them.
      pump(controller).catch((error) => ctx.log.error("reply stream failed", { error }));
    },
    cancel() {
      clientGone = true;
      opened.abort();
      opened.rest.return({ inputTokens: null, outputTokens: null }).catch(() => {});
    },
  });

  return new Response(body, {
    status: 200,
    headers: {
      ...args.headers,
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
    },
  });
}

function interrupted(error: unknown, ctx: UserRequestContext) {
  const failure = asProviderFailure(error);
  ctx.log.warn("AI provider failed mid-stream", { kind: failure.kind, detail: failure.detail, error });
  return {
    code: "ai_stream_interrupted",
    message: `The AI provider stopped mid-reply (${failure.detail}); nothing was saved, send the message again`,
    request_id: ctx.requestId,
  };
}
