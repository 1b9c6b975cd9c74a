/**
 * Google's Gemini API: POST {base}/v1beta/models/{model}:generateContent (and :streamGenerateContent?alt=sse),
 * base `https://generativelanguage.googleapis.com` (GOOGLE_AI_BASE_URL). The key goes in the x-goog-api-key
 * header, not the `?key=` query, so it never appears in a URL (nor in a log of one).
 */
import { badResponse } from "./failure.ts";
import { isRecord, joinUrl, postJson, probeGet, tokenCount } from "./http.ts";
import { parseEventObject, postForEvents } from "./sse.ts";
import type { ChatRequest, ChatResult, ChatStream, ProviderAdapter, ProviderSettings, Usage } from "./types.ts";

function headers(settings: ProviderSettings): Record<string, string> {
  return { "x-goog-api-key": settings.apiKey ?? "" };
}

function url(settings: ProviderSettings, model: string, stream: boolean): string {
  const method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
  return joinUrl(settings.baseUrl, `/v1beta/models/${encodeURIComponent(model)}:${method}`);
}

function body(request: ChatRequest): Record<string, unknown> {
  return {
    contents: request.messages.map((m) => ({
      role: m.role === "assistant" ? "model" : "user",
      parts: [{ text: m.content }],
    })),
    ...(request.system ? { systemInstruction: { parts: [{ text: request.system }] } } : {}),
    generationConfig: { temperature: request.temperature, maxOutputTokens: request.maxTokens },
  };
}

/** The text of the first candidate; "" when it has none (blocked, or an empty chunk). */
function candidateText(answer: Record<string, unknown>): string {
  const candidate = Array.isArray(answer.candidates) ? answer.candidates[0] : undefined;
  const parts = isRecord(candidate) && isRecord(candidate.content) && Array.isArray(candidate.content.parts)
    ? candidate.content.parts
    : [];
  return parts
    .filter((part) => isRecord(part) && typeof part.text === "string" && part.thought !== true)
    .map((part) => (part as { text: string }).text)
    .join("");
}

function usageOf(answer: Record<string, unknown>): Usage | null {
  const usage = answer.usageMetadata;
  if (!isRecord(usage)) return null;
  return { inputTokens: tokenCount(usage.promptTokenCount), outputTokens: tokenCount(usage.candidatesTokenCount) };
}

export const gemini: ProviderAdapter = {
  async complete(settings, request, timeoutMs, signal): Promise<ChatResult> {
    const answer = await postJson(
      url(settings, request.model, false),
      headers(settings),
      body(request),
      timeoutMs,
      signal,
    );
    if (!isRecord(answer)) throw badResponse("the answer was not a JSON object");
    const text = candidateText(answer);
    if (text === "") throw badResponse("the answer had no candidate text (blocked or empty)");
    return {
      text,
      model: typeof answer.modelVersion === "string" ? answer.modelVersion : request.model,
      usage: usageOf(answer) ?? { inputTokens: null, outputTokens: null },
    };
  },

  async stream(settings, request, timeoutMs, signal): Promise<ChatStream> {
    const events = await postForEvents(
      url(settings, request.model, true),
      headers(settings),
      body(request),
      timeoutMs,
      signal,
    );
    return (async function* (): ChatStream {
      let usage: Usage = { inputTokens: null, outputTokens: null };
      for await (const event of events) {
        const chunk = parseEventObject(event.data);
        if (isRecord(chunk.error)) throw badResponse("the stream reported an error");
        usage = usageOf(chunk) ?? usage;
        const text = candidateText(chunk);
        if (text !== "") yield text;
      }
      return usage;
    })();
  },

  async probe(settings, timeoutMs): Promise<void> {
    await probeGet(joinUrl(settings.baseUrl, "/v1beta/models?pageSize=1"), headers(settings), timeoutMs);
  },
};
