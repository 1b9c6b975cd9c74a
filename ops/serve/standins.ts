/**
 * Local stand-ins for the providers `ops functions serve` has no account for, from their public HTTP shapes, each
 * answering after a delay drawn from a range so that concurrency behaves as it does against the real services:
 *
 *   /openai/v1/chat/completions, /openai/v1/embeddings, /openai/v1/models          (OPENAI_BASE_URL)
 *   /anthropic/v1/messages, /anthropic/v1/models                                    (ANTHROPIC_BASE_URL)
 *   /gemini/v1beta/models/<model>:generateContent, /gemini/v1beta/models            (GOOGLE_AI_BASE_URL)
 *   /storage/v1/bucket                                                              (SUPABASE_URL, the health check)
 *   /storage/v1/object/upload/sign/<bucket>/<path>, then PUT to the URL it answers  (SUPABASE_URL, uploads)
 *
 * Chat answers are JSON (OpenAI's also as server-sent events with `stream: true`); embeddings are a bag of words
 * hashed into the asked dimensions, so a search finds the document that shares its words. An upload is recorded
 * as Storage records it, a storage.objects row (owner: the path's first folder, the uploader's id), so the
 * database's triggers and the functions' checks see it; the bytes themselves are not kept.
 */
import postgres from "npm:postgres@3.4.9";

/** Milliseconds, drawn uniformly from [min, max] for each answer. */
export interface LatencyRange {
  min: number;
  max: number;
}

export interface StandInLatency {
  ai: LatencyRange;
  embeddings: LatencyRange;
}

export interface StandIns {
  url: string;
  close(): Promise<void>;
}

/** "300-1500" or "200" (a fixed delay); a clear error naming the variable otherwise. */
export function parseLatency(name: string, raw: string | undefined, fallback: LatencyRange): LatencyRange {
  if (raw === undefined || raw.trim() === "") return fallback;
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(raw);
  const min = Number(match?.[1]);
  const max = Number(match?.[2] ?? match?.[1]);
  if (!match || min > max) throw new Error(`${name} must be milliseconds as MIN-MAX (e.g. 300-1500), got "${raw}"`);
  return { min, max };
}

const REPLY = "This is the local stand-in's answer: no AI provider is configured for `ops functions serve`.";
const USAGE = { input: 120, output: 40 };

const UPLOAD = "/storage/v1/object/upload/sign/";

/** `databaseUrl`: where Storage's own table (storage.objects) is, for uploads. */
export function startStandIns(latency: StandInLatency, databaseUrl: string): StandIns {
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => answer(req, latency, sql),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: async () => {
      await server.shutdown();
      await sql.end({ timeout: 1 });
    },
  };
}

async function answer(req: Request, latency: StandInLatency, sql: postgres.Sql): Promise<Response> {
  const path = decodeURIComponent(new URL(req.url).pathname);
  if (path.startsWith(UPLOAD)) return await upload(req, path.slice(UPLOAD.length), sql);
  const body = req.method === "POST" ? await req.json().catch(() => ({})) : {};
  if (req.method === "GET" && path.endsWith("/models")) return models(path);
  if (path === "/storage/v1/bucket") return Response.json([{ id: "documents", name: "documents", public: false }]);
  if (path === "/openai/v1/embeddings") {
    await pause(latency.embeddings);
    const inputs: string[] = Array.isArray(body.input) ? body.input : [String(body.input ?? "")];
    const dimension = Number(body.dimensions ?? 1536);
    return Response.json({
      object: "list",
      data: inputs.map((text, index) => ({ object: "embedding", index, embedding: bagOfWords(text, dimension) })),
      model: body.model,
      usage: { prompt_tokens: inputs.length * 8, total_tokens: inputs.length * 8 },
    });
  }
  if (path === "/openai/v1/chat/completions") {
    await pause(latency.ai);
    return body.stream ? openaiStream(body.model) : openaiAnswer(body.model);
  }
  if (path === "/anthropic/v1/messages") {
    await pause(latency.ai);
    return Response.json({
      id: "msg_stand_in",
      type: "message",
      role: "assistant",
      model: body.model,
      content: [{ type: "text", text: REPLY }],
      stop_reason: "end_turn",
      usage: { input_tokens: USAGE.input, output_tokens: USAGE.output },
    });
  }
  if (path.startsWith("/gemini/v1beta/models/") && path.endsWith(":generateContent")) {
    await pause(latency.ai);
    return Response.json({
      candidates: [{ content: { role: "model", parts: [{ text: REPLY }] }, finishReason: "STOP", index: 0 }],
      usageMetadata: {
        promptTokenCount: USAGE.input,
        candidatesTokenCount: USAGE.output,
        totalTokenCount: USAGE.input + USAGE.output,
      },
    });
  }
  return Response.json({ error: { message: `the stand-ins do not answer ${req.method} ${path}` } }, { status: 404 });
}

/** POST signs (a URL with a one-off token); PUT to it records the object. */
async function upload(req: Request, key: string, sql: postgres.Sql): Promise<Response> {
  const [bucket, ...rest] = key.split("/");
  const name = rest.join("/");
  if (req.method === "POST") {
    const encoded = [bucket, ...rest].map(encodeURIComponent).join("/");
    return Response.json({ url: `/object/upload/sign/${encoded}?token=${crypto.randomUUID()}` });
  }
  if (req.method !== "PUT") return Response.json({ message: `${req.method} is not an upload` }, { status: 405 });
  const size = (await req.arrayBuffer()).byteLength;
  const metadata = { mimetype: req.headers.get("content-type") ?? "application/octet-stream", size };
  const owner = /^[0-9a-f-]{36}$/.test(rest[0] ?? "") ? rest[0] : null;
  await sql`
    insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
    values (${bucket}, ${name}, ${owner}, ${owner}, ${sql.json(metadata)})
    on conflict (bucket_id, name) do update set metadata = excluded.metadata, updated_at = now()`;
  return Response.json({ Key: key });
}

function models(path: string): Response {
  if (path.startsWith("/openai/")) return Response.json({ object: "list", data: [{ id: "gpt-4o-mini" }] });
  if (path.startsWith("/anthropic/")) return Response.json({ data: [{ id: "claude-sonnet-4-5" }], has_more: false });
  return Response.json({ models: [{ name: "models/gemini-2.5-flash" }] });
}

function openaiAnswer(model: string): Response {
  return Response.json({
    id: "chatcmpl-stand-in",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content: REPLY }, finish_reason: "stop" }],
    usage: { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output },
  });
}

function openaiStream(model: string): Response {
  const chunk = (delta: Record<string, string>, finish: string | null) => ({
    id: "chatcmpl-stand-in",
    object: "chat.completion.chunk",
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const events = [
    ...REPLY.split(/(?<= )/).map((text) => chunk({ content: text }, null)),
    chunk({}, "stop"),
    {
      id: "chatcmpl-stand-in",
      object: "chat.completion.chunk",
      model,
      choices: [],
      usage: { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output },
    },
  ];
  const text = events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("") + "data: [DONE]\n\n";
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

function pause(range: LatencyRange): Promise<void> {
  const ms = range.min + Math.random() * (range.max - range.min);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function bagOfWords(text: string, dimension: number): number[] {
  const vector = new Array<number>(dimension).fill(0);
  vector[0] = 0.01; // never the zero vector, whose cosine distance is undefined
  for (const word of text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []) {
    let hash = 2166136261;
    for (const ch of word) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
    vector[1 + (hash % (dimension - 1))] += 1;
  }
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}
