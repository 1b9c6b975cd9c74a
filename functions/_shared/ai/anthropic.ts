/**
 * Anthropic's Messages API: POST {base}/v1/messages, base `https://api.anthropic.com` (ANTHROPIC_BASE_URL).
 * The system prompt is a top-level field; temperature is capped at 1 (Anthropic's range is 0-1, ours 0-2).
 */
import { badResponse } from "./failure.ts";
import { isRecord, joinUrl, postJson, probeGet, tokenCount } from "./http.ts";
import { parseEventObject, postForEvents } from "./sse.ts";
import type { ChatRequest, ChatResult, ChatStream, ProviderAdapter, ProviderSettings, Usage } from "./types.ts";

const API_VERSION = "2023-06-01";

function headers(settings: ProviderSettings): Record<string, string> {
  return { "x-api-key": settings.apiKey ?? "", "anthropic-version": API_VERSION };
}

function body(request: ChatRequest, stream: boolean): Record<string, unknown> {
  // The conversation must open with the user: drop assistant turns before the first user message.
  const firstUser = request.messages.findIndex((m) => m.role === "user");
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    temperature: Math.min(request.temperature, 1),
    ...(request.system ? { system: request.system } : {}),
    messages: request.messages.slice(Math.max(firstUser, 0)),
    ...(stream ? { stream: true } : {}),
  };
}

export const anthropic: ProviderAdapter = {
  async complete(settings, request, timeoutMs, signal): Promise<ChatResult> {
    const answer = await postJson(
      joinUrl(settings.baseUrl, "/v1/messages"),
      headers(settings),
      body(request, false),
      timeoutMs,
      signal,
    );
    const blocks = isRecord(answer) && Array.isArray(answer.content) ? answer.content : [];
    const text = blocks
      .filter((block) => isRecord(block) && block.type === "text" && typeof block.text === "string")
      .map((block) => (block as { text: string }).text)
      .join("");
    if (text === "") throw badResponse("the answer had no text block");
    const usage = isRecord(answer) && isRecord(answer.usage) ? answer.usage : {};
    return {
      text,
      model: isRecord(answer) && typeof answer.model === "string" ? answer.model : request.model,
      usage: { inputTokens: tokenCount(usage.input_tokens), outputTokens: tokenCount(usage.output_tokens) },
    };
  },

  async stream(settings, request, timeoutMs, signal): Promise<ChatStream> {
    const events = await postForEvents(
      joinUrl(settings.baseUrl, "/v1/messages"),
      headers(settings),
      body(request, true),
      timeoutMs,
      signal,
    );
    return (async function* (): ChatStream {
      const usage: Usage = { inputTokens: null, outputTokens: null };
      let stopped = false;
      for await (const event of events) {
        const data = parseEventObject(event.data);
        if (data.type === "error") throw badResponse("the stream reported an error");
        if (data.type === "message_start" && isRecord(data.message) && isRecord(data.message.usage)) {
          usage.inputTokens = tokenCount(data.message.usage.input_tokens);
        } else if (data.type === "message_delta" && isRecord(data.usage)) {
          usage.outputTokens = tokenCount(data.usage.output_tokens);
        } else if (data.type === "content_block_delta" && isRecord(data.delta) && data.delta.type === "text_delta") {
          if (typeof data.delta.text === "string" && data.delta.text !== "") yield data.delta.text;
        } else if (data.type === "message_stop") {
          stopped = true;
          break;
        }
      }
      if (!stopped) throw badResponse("the stream ended before message_stop");
      return usage;
    })();
  },

  async probe(settings, timeoutMs): Promise<void> {
    await probeGet(joinUrl(settings.baseUrl, "/v1/models?limit=1"), headers(settings), timeoutMs);
  },
};
