/**
 * Text embeddings for the document vault: OpenAI's embeddings API first, Hugging Face inference as the fallback.
 *
 * The dimension of `document_embeddings.embedding` decides the models (a vector of another length cannot be
 * stored, and vectors of different models cannot be compared), so it is read from the database once per isolate:
 *   OpenAI        POST {OPENAI_EMBEDDINGS_BASE_URL}/embeddings  {model, input: [...], dimensions?}
 *                 -> {data: [{index, embedding: number[]}], model, usage: {prompt_tokens, total_tokens}}
 *   Hugging Face  POST {HUGGINGFACE_BASE_URL}/models/{model}/pipeline/feature-extraction  {inputs: [...]}
 *                 -> number[][] (one pooled vector per input)
 * Each vector carries the model that made it (`model`): the search compares a query only with chunks of the
 * query's model.
 */
import type { Database } from "./db.ts";
import { reserveSpend, settleSpend, SpendBudgetExceeded, tokenCeiling } from "./spend.ts";
import { type Env, envInt, envString, requireSecureUrl } from "./env.ts";
import { HttpError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { asProviderFailure, badResponse, type FailureKind, ProviderFailure } from "./ai/failure.ts";
import { isRecord, joinUrl, postJson } from "./ai/http.ts";

export type EmbeddingProvider = "openai" | "huggingface";

interface ModelPair {
  openai: { model: string; dimensions?: number };
  huggingface: string;
}

/** Models whose vectors have exactly the column's length. */
export const MODELS_BY_DIMENSION: Readonly<Record<number, ModelPair>> = {
  384: {
    openai: { model: "text-embedding-3-small", dimensions: 384 },
    huggingface: "sentence-transformers/all-MiniLM-L6-v2",
  },
  768: { openai: { model: "text-embedding-3-small", dimensions: 768 }, huggingface: "BAAI/bge-base-en-v1.5" },
  1024: { openai: { model: "text-embedding-3-large", dimensions: 1024 }, huggingface: "BAAI/bge-large-en-v1.5" },
  1536: { openai: { model: "text-embedding-3-small" }, huggingface: "Alibaba-NLP/gte-Qwen2-1.5B-instruct" },
};

export interface EmbeddingConfig {
  dimension: number;
  order: EmbeddingProvider[];
  openai: { key?: string; baseUrl: string; model: string; dimensions?: number };
  huggingface: { key?: string; baseUrl: string; model: string };
  timeoutMs: number;
  /** Inputs per request (OpenAI accepts up to 2048; smaller batches keep one failure cheap). */
  batchSize: number;
}

export interface EmbeddingAttempt {
  provider: EmbeddingProvider;
  model: string;
  outcome: "ok" | FailureKind;
  detail: string;
}

export interface Embeddings {
  vectors: number[][];
  provider: EmbeddingProvider;
  /** What document_embeddings.model stores, e.g. `text-embedding-3-small`. */
  model: string;
  attempts: EmbeddingAttempt[];
  /** Tokens the provider reported billing (OpenAI's usage.total_tokens), or null when it did not say. */
  tokens: number | null;
}

/** No provider could embed the text: a 503 listing each one tried, and why. */
export class EmbeddingsUnavailableError extends HttpError {
  constructor(readonly attempts: EmbeddingAttempt[]) {
    super(
      503,
      "embeddings_unavailable",
      `No embeddings provider could answer: ${
        attempts.map((a) => `${a.provider} ${a.outcome} (${a.detail})`).join("; ")
      }`,
      { details: { attempts }, headers: { "Retry-After": "30" } },
    );
  }
}

let cachedDimension: number | undefined;

/** The length of document_embeddings.embedding (pgvector keeps it as the column's type modifier). */
export async function embeddingDimension(db: Database): Promise<number> {
  if (cachedDimension !== undefined) return cachedDimension;
  const [row] = await db.asServiceRole((tx) =>
    tx<{ dimension: number }[]>`
      select atttypmod as dimension from pg_catalog.pg_attribute
      where attrelid = 'public.document_embeddings'::regclass and attname = 'embedding'`
  );
  cachedDimension = Number(row.dimension);
  return cachedDimension;
}

export function readEmbeddingConfig(env: Env, dimension: number): EmbeddingConfig {
  const pair = MODELS_BY_DIMENSION[dimension];
  if (!pair) {
    throw new HttpError(
      500,
      "server_misconfigured",
      `The function is misconfigured: document_embeddings.embedding has ${dimension} dimensions, and no embedding ` +
        `model is known for that length (known: ${Object.keys(MODELS_BY_DIMENSION).join(", ")})`,
    );
  }
  const order = (envString(env, "EMBEDDING_PROVIDER_ORDER") ?? "openai,huggingface").split(",").map((s) => s.trim());
  const known = order.filter((p): p is EmbeddingProvider => p === "openai" || p === "huggingface");
  if (known.length !== order.length || known.length === 0) {
    throw new HttpError(
      500,
      "server_misconfigured",
      "The function is misconfigured: EMBEDDING_PROVIDER_ORDER must list openai and/or huggingface",
    );
  }
  return {
    dimension,
    order: known,
    openai: {
      key: envString(env, "OPENAI_API_KEY"),
      baseUrl: requireSecureUrl(
        env,
        "OPENAI_EMBEDDINGS_BASE_URL",
        envString(env, "OPENAI_BASE_URL") ?? "https://api.openai.com/v1",
      ),
      model: envString(env, "OPENAI_EMBEDDING_MODEL") ?? pair.openai.model,
      dimensions: pair.openai.dimensions,
    },
    huggingface: {
      key: envString(env, "HUGGINGFACE_API_KEY"),
      baseUrl: requireSecureUrl(env, "HUGGINGFACE_BASE_URL", "https://router.huggingface.co/hf-inference"),
      model: envString(env, "HUGGINGFACE_EMBEDDING_MODEL") ?? pair.huggingface,
    },
    timeoutMs: envInt(env, "EMBEDDING_TIMEOUT_MS", 20_000, 100, 120_000),
    batchSize: envInt(env, "EMBEDDING_BATCH_SIZE", 64, 1, 2048),
  };
}

/** Embeds every text with the first provider that can; all vectors of one call come from one model. */
export async function embedTexts(config: EmbeddingConfig, texts: readonly string[], log: Logger): Promise<Embeddings> {
  const attempts: EmbeddingAttempt[] = [];
  for (const provider of config.order) {
    const model = provider === "openai" ? config.openai.model : config.huggingface.model;
    const key = provider === "openai" ? config.openai.key : config.huggingface.key;
    if (!key) {
      attempts.push({ provider, model, outcome: "not_configured", detail: "no API key set" });
      continue;
    }
    try {
      const vectors: number[][] = [];
      let tokens: number | null = 0;
      for (let start = 0; start < texts.length; start += config.batchSize) {
        const batch = texts.slice(start, start + config.batchSize);
        const embedded = await embedBatch(config, provider, key, batch);
        vectors.push(...embedded.vectors);
        tokens = tokens === null || embedded.tokens === null ? null : tokens + embedded.tokens;
      }
      attempts.push({ provider, model, outcome: "ok", detail: `${texts.length} texts` });
      if (attempts.length > 1) log.warn("embeddings fell back", { provider, attempts });
      return { vectors, provider, model, attempts, tokens };
    } catch (error) {
      const failure = asProviderFailure(error);
      attempts.push({ provider, model, outcome: failure.kind, detail: failure.detail });
      log.warn("embeddings provider failed", { provider, kind: failure.kind, detail: failure.detail });
    }
  }
  throw new EmbeddingsUnavailableError(attempts);
}

async function embedBatch(
  config: EmbeddingConfig,
  provider: EmbeddingProvider,
  key: string,
  batch: readonly string[],
): Promise<{ vectors: number[][]; tokens: number | null }> {
  if (provider === "openai") {
    const body: Record<string, unknown> = { model: config.openai.model, input: batch, encoding_format: "float" };
    if (config.openai.dimensions) body.dimensions = config.openai.dimensions;
    const answer = await postJson(
      joinUrl(config.openai.baseUrl, "/embeddings"),
      { authorization: `Bearer ${key}` },
      body,
      config.timeoutMs,
    );
    const data = isRecord(answer) && Array.isArray(answer.data) ? answer.data : undefined;
    if (!data || data.length !== batch.length) throw badResponse("the answer had no data list of one item per input");
    const ordered = [...data].sort((a, b) => Number(a?.index) - Number(b?.index));
    const usage = isRecord(answer) && isRecord(answer.usage) ? answer.usage.total_tokens : undefined;
    return {
      vectors: ordered.map((item) => checkedVector(isRecord(item) ? item.embedding : undefined, config.dimension)),
      tokens: Number.isSafeInteger(usage) && (usage as number) >= 0 ? usage as number : null,
    };
  }
  const model = config.huggingface.model.split("/").map(encodeURIComponent).join("/");
  const answer = await postJson(
    joinUrl(config.huggingface.baseUrl, `/models/${model}/pipeline/feature-extraction`),
    { authorization: `Bearer ${key}` },
    { inputs: batch, normalize: true },
    config.timeoutMs,
  );
  if (!Array.isArray(answer) || answer.length !== batch.length) {
    throw badResponse("the answer was not one vector per input");
  }
  // Hugging Face bills compute time, not tokens: the reservation stands as it is.
  return { vectors: answer.map((vector) => checkedVector(vector, config.dimension)), tokens: null };
}

function checkedVector(value: unknown, dimension: number): number[] {
  if (!Array.isArray(value) || value.length !== dimension || !value.every((x) => Number.isFinite(x))) {
    throw new ProviderFailure("bad_response", `a vector was not ${dimension} finite numbers`);
  }
  return value as number[];
}

/** pgvector's text form, for a `${vectorLiteral(v)}::extensions.vector` parameter. */
/** A search query's vector, or nulls when no embeddings provider answers: the caller falls back to full text. */
export interface QueryEmbedding {
  vector: string | null;
  model: string | null;
  attempts: EmbeddingAttempt[];
}

export async function embedQuery(config: EmbeddingConfig, query: string, log: Logger): Promise<QueryEmbedding> {
  try {
    const embedded = await embedTexts(config, [query], log);
    return { vector: vectorLiteral(embedded.vectors[0]), model: embedded.model, attempts: embedded.attempts };
  } catch (error) {
    if (!(error instanceof EmbeddingsUnavailableError)) throw error;
    return { vector: null, model: null, attempts: error.attempts };
  }
}

/**
 * A search query's vector within the user's daily embedding tokens (counted before the call, at the query's UTF-8
 * length, an upper bound). Past the budget there is no vector and the caller searches by full text, as when no
 * provider answers.
 */
export async function embedQueryForUser(
  db: Database,
  userId: string,
  source: string,
  config: EmbeddingConfig,
  query: string,
  log: Logger,
): Promise<QueryEmbedding> {
  let reservation;
  try {
    reservation = await reserveSpend(db, userId, "embedding_tokens", tokenCeiling(query), source);
  } catch (error) {
    if (!(error instanceof SpendBudgetExceeded)) throw error;
    log.info("query not embedded: the daily embedding budget is spent", { details: error.details });
    return { vector: null, model: null, attempts: [] };
  }
  const embedded = await embedQuery(config, query, log);
  if (embedded.vector === null) await settleSpend(db, reservation, 0);
  return embedded;
}

export function vectorLiteral(vector: readonly number[]): string {
  return `[${vector.join(",")}]`;
}
