/**
 * Local fakes of the three AI providers, built from their public HTTP API shapes:
 * - OpenAI: POST /v1/chat/completions (JSON, or SSE with `stream: true`), GET /v1/models; `Authorization: Bearer`.
 * - Anthropic: POST /v1/messages (JSON, or SSE events with `stream: true`), GET /v1/models; `x-api-key` and
 *   `anthropic-version`.
 * - Gemini: POST /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse, GET /v1beta/models;
 *   `x-goog-api-key`.
 * Each fake has a `mode` to make it fail: a 5xx, a 429, a 401 (wrong key), an answer of the wrong shape, or a hang
 * (no response until the client gives up), or for streams a stall before or after the first delta; `eventDelayMs`
 * makes a stream slow (a pause before each event). Every request is recorded.
 */
import { json, sse, startServer, type TestServer } from "./server.ts";
import { TEST_KEYS } from "./env.ts";

export type ProviderName = "openai" | "anthropic" | "gemini";
export type FakeMode =
  | "ok"
  | "error_500"
  | "unavailable_503"
  | "rate_limited_429"
  | "bad_answer"
  | "hang"
  // Streams: the first delta, then silence until the server closes (a provider dying mid-reply).
  | "stall_mid_stream"
  // Streams: the headers (and Anthropic's preamble events), then silence: accepted, but no text ever comes.
  | "stall_before_text";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Record<string, unknown> | null;
}

export interface FakeUsage {
  input: number;
  output: number;
}

export class FakeProvider {
  mode: FakeMode = "ok";
  /** The reply's text; streamed word by word. */
  reply: string;
  usage: FakeUsage;
  /** Streams: a pause before each event after the first (a slow model). */
  eventDelayMs = 0;
  readonly requests: RecordedRequest[] = [];
  readonly #server: TestServer;

  constructor(readonly name: ProviderName, usage: FakeUsage) {
    this.reply = `Hello from the fake ${name}.`;
    this.usage = usage;
    this.#server = startServer((req) => this.#handle(req));
  }

  /** The value for the function's base-URL variable (OpenAI's includes /v1, as the OpenAI SDK's does). */
  get baseUrl(): string {
    return this.name === "openai" ? `${this.#server.url}/v1` : this.#server.url;
  }

  /** Requests that asked for a completion (health checks list models instead). */
  get completions(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === "POST");
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = req.method === "POST" ? await req.json() : null;
    this.requests.push({ method: req.method, path: url.pathname + url.search, headers: req.headers, body });
    if (!this.#authorized(req)) return this.#error(401, "invalid api key");
    switch (this.mode) {
      case "hang":
        await this.#server.hang(req);
        return this.#error(504, "the client went away");
      case "error_500":
        return this.#error(500, "internal error");
      case "unavailable_503":
        return this.#error(503, "overloaded");
      case "rate_limited_429":
        return this.#error(429, "rate limit exceeded");
      case "bad_answer":
        return json({ unexpected: "shape" });
    }
    if (req.method === "GET") return this.#models();
    const streaming = body?.stream === true || url.pathname.endsWith(":streamGenerateContent");
    const model = this.#model(url, body);
    if (!streaming) return this.#complete(model);
    const response = this.#stream(model);
    if (this.mode === "stall_mid_stream") return await this.#stall(req, response, true);
    if (this.mode === "stall_before_text") return await this.#stall(req, response, false);
    return this.eventDelayMs > 0 ? await this.#slow(response) : response;
  }

  /** Passes on the stream up to (or through) its first delta, then holds the rest back until the server closes. */
  async #stall(req: Request, response: Response, withFirstDelta: boolean): Promise<Response> {
    const full = await response.text();
    const firstDelta = this.name === "anthropic" ? full.indexOf("event: content_block_delta") : 0;
    const cut = withFirstDelta ? full.indexOf("\n\n", firstDelta) + 2 : firstDelta;
    const hang = this.#server.hang(req);
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode(full.slice(0, cut))),
      pull: async (controller) => {
        await hang;
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }

  /** The same events, each after a pause of eventDelayMs (the first at once). */
  async #slow(response: Response): Promise<Response> {
    const events = (await response.text()).split(/(?<=\n\n)/);
    const encoder = new TextEncoder();
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (index >= events.length) return controller.close();
        if (index > 0) await new Promise((resolve) => setTimeout(resolve, this.eventDelayMs));
        controller.enqueue(encoder.encode(events[index++]));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }

  #authorized(req: Request): boolean {
    const key = TEST_KEYS[this.name];
    if (this.name === "openai") return req.headers.get("authorization") === `Bearer ${key}`;
    if (this.name === "anthropic") {
      return req.headers.get("x-api-key") === key && req.headers.get("anthropic-version") !== null;
    }
    return req.headers.get("x-goog-api-key") === key;
  }

  #model(url: URL, body: Record<string, unknown> | null): string {
    if (this.name !== "gemini") return String(body?.model ?? "");
    return decodeURIComponent(url.pathname.split("/models/")[1]?.split(":")[0] ?? "");
  }

  #models(): Response {
    if (this.name === "openai") return json({ object: "list", data: [{ id: "gpt-4o-mini", object: "model" }] });
    if (this.name === "anthropic") return json({ data: [{ id: "claude-sonnet-4-5", type: "model" }], has_more: false });
    return json({ models: [{ name: "models/gemini-2.5-flash" }] });
  }

  #complete(model: string): Response {
    const { input, output } = this.usage;
    if (this.name === "openai") {
      return json({
        id: "chatcmpl-fake",
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: "assistant", content: this.reply }, finish_reason: "stop" }],
        usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
      });
    }
    if (this.name === "anthropic") {
      return json({
        id: "msg_fake",
        type: "message",
        role: "assistant",
        model,
        content: [{ type: "text", text: this.reply }],
        stop_reason: "end_turn",
        usage: { input_tokens: input, output_tokens: output },
      });
    }
    return json({
      candidates: [{ content: { role: "model", parts: [{ text: this.reply }] }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: input, candidatesTokenCount: output, totalTokenCount: input + output },
      modelVersion: model,
    });
  }

  #stream(model: string): Response {
    const pieces = this.reply.split(/(?<= )/);
    const { input, output } = this.usage;
    if (this.name === "openai") {
      return sse([
        ...pieces.map((text) => ({
          data: {
            id: "chatcmpl-fake",
            object: "chat.completion.chunk",
            model,
            choices: [{ index: 0, delta: { content: text } }],
          },
        })),
        {
          data: {
            id: "chatcmpl-fake",
            object: "chat.completion.chunk",
            model,
            choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
          },
        },
        {
          data: {
            id: "chatcmpl-fake",
            object: "chat.completion.chunk",
            model,
            choices: [],
            usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
          },
        },
        { data: "[DONE]" },
      ]);
    }
    if (this.name === "anthropic") {
      return sse([
        {
          event: "message_start",
          data: {
            type: "message_start",
            message: {
              id: "msg_fake",
              type: "message",
              role: "assistant",
              model,
              content: [],
              usage: { input_tokens: input, output_tokens: 1 },
            },
          },
        },
        {
          event: "content_block_start",
          data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        },
        { event: "ping", data: { type: "ping" } },
        ...pieces.map((text) => ({
          event: "content_block_delta",
          data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
        })),
        { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
        {
          event: "message_delta",
          data: { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: output } },
        },
        { event: "message_stop", data: { type: "message_stop" } },
      ]);
    }
    return sse(pieces.map((text, index) => ({
      data: {
        candidates: [{
          content: { role: "model", parts: [{ text }] },
          index: 0,
          ...(index === pieces.length - 1 ? { finishReason: "STOP" } : {}),
        }],
        usageMetadata: { promptTokenCount: input, candidatesTokenCount: output, totalTokenCount: input + output },
        modelVersion: model,
      },
    })));
  }

  #error(status: number, message: string): Response {
    if (this.name === "anthropic") {
      const type = status === 429 ? "rate_limit_error" : status === 401 ? "authentication_error" : "api_error";
      return json({ type: "error", error: { type, message } }, status);
    }
    if (this.name === "gemini") return json({ error: { code: status, message, status: "UNAVAILABLE" } }, status);
    return json({ error: { message, type: "server_error", code: null } }, status);
  }
}

export interface FakeAi {
  openai: FakeProvider;
  anthropic: FakeProvider;
  gemini: FakeProvider;
  /** Base URLs and keys for a handler's env. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export function startFakeAi(): FakeAi {
  const openai = new FakeProvider("openai", { input: 12, output: 7 });
  const anthropic = new FakeProvider("anthropic", { input: 13, output: 8 });
  const gemini = new FakeProvider("gemini", { input: 14, output: 9 });
  return {
    openai,
    anthropic,
    gemini,
    env: () => ({
      OPENAI_BASE_URL: openai.baseUrl,
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      GOOGLE_AI_BASE_URL: gemini.baseUrl,
      OPENAI_API_KEY: TEST_KEYS.openai,
      ANTHROPIC_API_KEY: TEST_KEYS.anthropic,
      GOOGLE_AI_API_KEY: TEST_KEYS.gemini,
    }),
    close: async () => {
      await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
    },
  };
}
