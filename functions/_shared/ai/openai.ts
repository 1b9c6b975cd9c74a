/**
 * OpenAI's Chat Completions API: POST {base}/chat/completions, base `https://api.openai.com/v1` (OPENAI_BASE_URL,
 * with /v1, as the OpenAI SDK reads it). Streaming asks for the usage in the last chunk (stream_options).
 */
import { badResponse } from "./failure.ts";
import { isRecord, joinUrl, postJson, probeGet, tokenCount } from "./http.ts";
import { parseEventObject, postForEvents } from "./sse.ts";
import type { ChatRequest, ChatResult, ChatStream, ProviderAdapter, ProviderSettings, Usage } from "./types.ts";

function headers(settings: ProviderSettings): Record<string, string> {
  return { authorization: `Bearer ${settings.apiKey}` };
}

function body(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const messages = [
    ...(request.system ? [{ role: "system", content: request.system }] : []),
    ...request.messages,
  ];
  return {
    model: request.model,
    messages,
    temperature: request.temperature,
    max_completion_tokens: request.maxTokens,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

function usageOf(value: unknown): Usage | null {
  if (!isRecord(value)) return null;
  return { inputTokens: tokenCount(value.prompt_tokens), outputTokens: tokenCount(value.completion_tokens) };
}

export const openai: ProviderAdapter = {
  async complete(settings, request, timeoutMs, signal): Promise<ChatResult> {
    const answer = await postJson(
      joinUrl(settings.baseUrl, "/chat/completions"),
      headers(settings),
      body(request, false),
      timeoutMs,
      signal,
    );
    const choice = isRecord(answer) && Array.isArray(answer.choices) ? answer.choices[0] : undefined;
    const text = isRecord(choice) && isRecord(choice.message) ? choice.message.content : undefined;
    if (typeof text !== "string" || text === "") throw badResponse("the answer had no message text");
    return {
      text,
      model: isRecord(answer) && typeof answer.model === "string" ? answer.model : request.model,
      usage: usageOf(isRecord(answer) ? answer.usage : undefined) ?? { inputTokens: null, outputTokens: null },
    };
  },

  async stream(settings, request, timeoutMs, signal): Promise<ChatStream> {
    const events = await postForEvents(
      joinUrl(settings.baseUrl, "/chat/completions"),
      headers(settings),
      body(request, true),
      timeoutMs,
      signal,
    );
    return (async function* (): ChatStream {
      let usage: Usage = { inputTokens: null, outputTokens: null };
      for await (const event of events) {
        if (event.data === "[DONE]") break;
        const chunk = parseEventObject(event.data);
        if (isRecord(chunk.error)) throw badResponse("the stream reported an error");
        usage = usageOf(chunk.usage) ?? usage;
        const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
        const delta = isRecord(choice) && isRecord(choice.delta) ? choice.delta.content : undefined;
        if (typeof delta === "string" && delta !== "") yield delta;
      }
      return usage;
    })();
  },

  async probe(settings, timeoutMs): Promise<void> {
    await probeGet(joinUrl(settings.baseUrl, "/models"), headers(settings), timeoutMs);
  },
};
