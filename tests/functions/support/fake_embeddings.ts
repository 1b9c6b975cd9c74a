/**
 * The two embeddings APIs, faked on loopback from their public shapes:
 *   OpenAI        POST /v1/embeddings {model, input: string[], dimensions?}  (Authorization: Bearer sk-...)
 *                 -> {object: "list", data: [{object: "embedding", index, embedding}], model, usage}
 *   Hugging Face  POST /hf/models/<org>/<model>/pipeline/feature-extraction {inputs: string[]}  (Bearer hf_...)
 *                 -> number[][]
 * The vectors are a bag of words hashed into the column's dimensions (normalised), so texts that share words are
 * near each other and a search finds the document that holds the query's words. `mode` per provider fails calls.
 */
import { TEST_KEYS } from "./env.ts";
import { json, startServer } from "./server.ts";

/** OpenAI's key is the one the chat fake takes (one OPENAI_API_KEY serves both). */
export const TEST_EMBEDDING_KEYS = { openai: TEST_KEYS.openai, huggingface: "hf_testHuggingFaceKey0123456789" };

export type EmbeddingMode = "ok" | "error_500" | "rate_limited_429" | "bad_answer" | "hang";

export interface FakeEmbeddings {
  openaiBaseUrl: string;
  huggingfaceBaseUrl: string;
  openaiMode: EmbeddingMode;
  huggingfaceMode: EmbeddingMode;
  readonly calls: { provider: "openai" | "huggingface"; model: string; inputs: number }[];
  close(): Promise<void>;
}

export function bagOfWords(text: string, dimension = 1536): number[] {
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

export function startFakeEmbeddings(): FakeEmbeddings {
  const fake: FakeEmbeddings = {
    openaiBaseUrl: "",
    huggingfaceBaseUrl: "",
    openaiMode: "ok",
    huggingfaceMode: "ok",
    calls: [],
    close: () => server.close(),
  };
  const server = startServer(async (req) => {
    const url = new URL(req.url);
    const body = await req.json().catch(() => ({}));
    const openai = url.pathname === "/v1/embeddings";
    const hf = url.pathname.startsWith("/hf/models/") && url.pathname.endsWith("/pipeline/feature-extraction");
    if (!openai && !hf) return json({ error: `no fake for ${url.pathname}` }, 404);
    const key = openai ? TEST_EMBEDDING_KEYS.openai : TEST_EMBEDDING_KEYS.huggingface;
    if (req.headers.get("authorization") !== `Bearer ${key}`) return json({ error: { message: "bad key" } }, 401);
    const inputs: string[] = openai ? body.input : body.inputs;
    const model = openai
      ? body.model
      : url.pathname.slice("/hf/models/".length, -"/pipeline/feature-extraction".length);
    fake.calls.push({ provider: openai ? "openai" : "huggingface", model, inputs: inputs.length });
    const mode = openai ? fake.openaiMode : fake.huggingfaceMode;
    if (mode === "hang") {
      await server.hang(req);
      return json({}, 504);
    }
    if (mode === "error_500") return json({ error: { message: "server error" } }, 500);
    if (mode === "rate_limited_429") return json({ error: { message: "rate limited" } }, 429);
    const dimension = openai ? (body.dimensions ?? 1536) : 1536;
    const vectors = inputs.map((text) => mode === "bad_answer" ? [0.1, 0.2] : bagOfWords(text, dimension));
    if (!openai) return json(vectors);
    return json({
      object: "list",
      data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })),
      model,
      usage: { prompt_tokens: inputs.length * 8, total_tokens: inputs.length * 8 },
    });
  });
  fake.openaiBaseUrl = `${server.url}/v1`;
  fake.huggingfaceBaseUrl = `${server.url}/hf`;
  return fake;
}
