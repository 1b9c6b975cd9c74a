/** The vocabulary shared by the provider adapters, the fallback logic and the functions that use them. */

/** As ai_model_configs, conversations and messages name them. */
export type ProviderId = "openai" | "claude" | "gemini";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  model: string;
  /** The user's system prompt (ai_model_configs.system_prompt), if any. */
  system?: string;
  /** Oldest first; the last one is the user's new message. */
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number;
}

/** Token counts as the provider reported them; null when it did not. */
export interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
}

export interface ChatResult {
  text: string;
  /** The model that answered, as the provider names it. */
  model: string;
  usage: Usage;
}

/** Text deltas, in order; the generator's return value is the usage, known only at the end. */
export type ChatStream = AsyncGenerator<string, Usage, void>;

export interface ProviderSettings {
  id: ProviderId;
  /** Undefined when the key variable is unset: the provider is "not configured" and skipped. */
  apiKey?: string;
  keyVariable: string;
  baseUrl: string;
  defaultModel: string;
}

export interface ProviderAdapter {
  /** `signal` stops the call (the request's time for AI providers ran out). */
  complete(
    settings: ProviderSettings,
    request: ChatRequest,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ChatResult>;
  /** Resolves when the provider accepted the request (HTTP 2xx); deltas then arrive with an idle deadline each. */
  stream(settings: ProviderSettings, request: ChatRequest, timeoutMs: number, signal: AbortSignal): Promise<ChatStream>;
  /** A free, authenticated call (list models): is the provider reachable with our key? */
  probe(settings: ProviderSettings, timeoutMs: number): Promise<void>;
}
