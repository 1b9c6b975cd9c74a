/**
 * One run of the worker: take back stale jobs, then claim and process jobs one at a time until none is due, the
 * run's job limit is reached or its time budget is spent (Supabase ends a function at 150 s). Each document:
 * download (service role) -> SHA-256 (a duplicate of a completed document reuses its results) -> text (OCR,
 * .docx, plain) -> summary (AI providers with fallback) -> chunks -> embeddings (OpenAI, Hugging Face) -> saved
 * with the job's end in one transaction.
 */
import { AiUnavailableError, completeWithFallback } from "../_shared/ai/fallback.ts";
import { ProviderFailure } from "../_shared/ai/failure.ts";
import { readAiConfig } from "../_shared/ai/providers.ts";
import type { Database } from "../_shared/db.ts";
import { releaseAiTokens, reserveAiTokens, settleAiTokens } from "../_shared/ai/spend.ts";
import { embeddingDimension, readEmbeddingConfig } from "../_shared/embeddings.ts";
import { type Env, envInt } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import type { Logger } from "../_shared/log.ts";
import { canonicalObjectKey, ObjectKeyError } from "../_shared/object_key.ts";
import { SpendBudgetExceeded } from "../_shared/spend.ts";
import { StorageError } from "../_shared/storage.ts";
import { downloadObject } from "../_shared/storage_objects.ts";
import { embedWithinBudget, meteredVision, SOURCE } from "./budget.ts";
import { chunkText } from "./chunk.ts";
import { extractText, UnprocessableDocument } from "./extract.ts";
import { readImageCaps } from "./image_caps.ts";
import { readInflateCaps } from "./inflate.ts";
import {
  claimJob,
  completeJob,
  deferJob,
  type DocumentToProcess,
  failJob,
  finishWithoutWork,
  type Job,
  loadDocument,
  releaseStaleJobs,
  reuseDuplicate,
  unclaimJob,
} from "./jobs.ts";
import { readVisionConfig } from "./vision.ts";

export interface RunOptions {
  worker: string;
  maxJobs: number;
  documentId?: string;
}

export interface RunSummary {
  worker: string;
  released: number;
  claimed: number;
  completed: number;
  reused: number;
  retried: number;
  dead_lettered: number;
  lost: number;
  results: { job_id: string; document_id: string; outcome: string; detail?: string }[];
}

const SUMMARY_INPUT_CHARACTERS = 12_000;
const UNEXPECTED = "an unexpected error stopped the processing";

export async function runWorker(env: Env, db: Database, log: Logger, options: RunOptions): Promise<RunSummary> {
  const maxAttempts = envInt(env, "PROCESSOR_MAX_ATTEMPTS", 5, 1, 20);
  const retry = {
    maxAttempts,
    baseSeconds: envInt(env, "PROCESSOR_BACKOFF_SECONDS", 30, 0, 3600),
    maxSeconds: envInt(env, "PROCESSOR_BACKOFF_MAX_SECONDS", 3600, 0, 86_400),
  };
  const budgetMs = envInt(env, "PROCESSOR_TIME_BUDGET_MS", 100_000, 1000, 600_000);
  const started = performance.now();
  const summary: RunSummary = {
    worker: options.worker,
    released: await releaseStaleJobs(db, envInt(env, "PROCESSOR_STALE_SECONDS", 600, 10, 86_400), maxAttempts),
    claimed: 0,
    completed: 0,
    reused: 0,
    retried: 0,
    dead_lettered: 0,
    lost: 0,
    results: [],
  };
  const seen = new Set<string>();
  while (summary.claimed < options.maxJobs && performance.now() - started < budgetMs) {
    const job = await claimJob(db, options.worker, options.documentId);
    if (!job) break;
    // One attempt per job per run: a retry that is due at once waits for the next run.
    if (seen.has(job.id)) {
      await unclaimJob(db, job, options.worker);
      break;
    }
    seen.add(job.id);
    summary.claimed++;
    const jobLog = log.child({ job_id: job.id, document_id: job.document_id, attempt: job.attempts });
    const outcome = await processJob(env, db, jobLog, job, options.worker, retry);
    summary.results.push({ job_id: job.id, document_id: job.document_id, ...outcome });
    if (outcome.outcome === "completed" || outcome.outcome === "already_done") summary.completed++;
    else if (outcome.outcome === "reused_duplicate") summary.reused++;
    else if (outcome.outcome === "retry" || outcome.outcome === "deferred") summary.retried++;
    else if (outcome.outcome === "dead_lettered") summary.dead_lettered++;
    else summary.lost++;
  }
  return summary;
}

async function processJob(
  env: Env,
  db: Database,
  log: Logger,
  job: Job,
  worker: string,
  retry: { maxAttempts: number; baseSeconds: number; maxSeconds: number },
): Promise<{ outcome: string; detail?: string }> {
  const doc = await loadDocument(db, job, worker);
  if (!doc || doc.status === "completed") {
    // Deleted meanwhile, or done by an earlier run: nothing to pay for again.
    await finishWithoutWork(db, job, worker);
    return { outcome: "already_done" };
  }
  try {
    const bytes = await download(env, doc);
    const sha256 = await sha256Hex(bytes);
    const original = await reuseDuplicate(db, job, worker, doc.user_id, sha256);
    if (original) {
      log.info("duplicate of a processed document; its results were reused", { original_id: original });
      return { outcome: "reused_duplicate", detail: original };
    }
    const vision = meteredVision(readVisionConfig(env), db, doc.user_id);
    const caps = { inflate: readInflateCaps(env), image: readImageCaps(env) };
    const extracted = await extractText(vision, caps, doc.mime_type ?? "application/octet-stream", bytes);
    // PostgreSQL text cannot hold NUL.
    const text = extracted.text.replaceAll("\0", "").trim();
    const summary = text ? await summarize(env, db, doc.user_id, text, log) : null;
    const chunks = chunkText(text);
    const embeddingConfig = readEmbeddingConfig(env, await embeddingDimension(db));
    const embedded = chunks.length ? await embedWithinBudget(db, doc.user_id, embeddingConfig, chunks, log) : null;
    const saved = await completeJob(db, job, worker, {
      text,
      summary,
      sha256,
      chunks,
      vectors: embedded?.vectors ?? [],
      model: embedded?.model ?? null,
      metadata: { method: extracted.method },
    });
    if (!saved) return lost(log);
    log.info("document processed", { method: extracted.method, chunks: chunks.length, model: embedded?.model });
    return { outcome: "completed" };
  } catch (error) {
    if (error instanceof SpendBudgetExceeded) {
      // The owner's OCR budget for today is spent: the job waits for it to reset, without using up an attempt.
      const until = error.refusal.resetsAt;
      if (!(await deferJob(db, job, worker, until, error.message))) return lost(log);
      log.info("document waits for the owner's daily OCR budget", { until: until.toISOString() });
      return { outcome: "deferred", detail: error.message };
    }
    const failure = describe(error);
    if (failure.message === UNEXPECTED) log.error("processing failed unexpectedly", { error });
    const result = await failJob(db, job, worker, failure, retry);
    if (!result) return lost(log);
    log.warn(result.deadLettered ? "document failed for good" : "document will be retried", {
      error: failure.message,
      permanent: failure.permanent,
      retry_in_seconds: result.retryInSeconds,
    });
    return { outcome: result.deadLettered ? "dead_lettered" : "retry", detail: failure.message };
  }
}

function lost(log: Logger) {
  log.warn("the job was taken back from this worker (it ran too long); nothing was written");
  return { outcome: "lost" };
}

async function download(env: Env, doc: DocumentToProcess): Promise<Uint8Array> {
  try {
    return await downloadObject(
      env,
      "documents",
      canonicalObjectKey(doc.file_path, doc.user_id),
      envInt(env, "STORAGE_TIMEOUT_MS", 30_000, 100, 120_000),
    );
  } catch (error) {
    if (error instanceof ObjectKeyError) {
      throw new UnprocessableDocument(
        `the stored file path ${error.problem}; delete the document and upload the file again`,
      );
    }
    if (error instanceof StorageError && (error.status === 400 || error.status === 404)) {
      throw new UnprocessableDocument(`the file ${doc.file_path} is not in Storage (deleted, or never uploaded)`);
    }
    throw error;
  }
}

/** The summary, paid from the owner's daily AI tokens; null when they are spent (the document is kept without). */
async function summarize(env: Env, db: Database, ownerId: string, text: string, log: Logger): Promise<string | null> {
  const ai = readAiConfig(env);
  const first = ai.order[0] ?? "openai";
  const input = {
    system: "Summarise the user's document in at most five sentences: what it is, who it concerns, its key dates " +
      "and amounts. Answer with the summary only.",
    messages: [{ role: "user" as const, content: text.slice(0, SUMMARY_INPUT_CHARACTERS) }],
    temperature: 0.2,
    maxTokens: 300,
  };
  let reservation;
  try {
    reservation = await reserveAiTokens(db, ownerId, input, SOURCE);
  } catch (error) {
    if (!(error instanceof SpendBudgetExceeded)) throw error;
    log.warn("document kept without a summary: the owner's daily AI budget is spent", { details: error.details });
    return null;
  }
  let answered;
  try {
    answered = await completeWithFallback(ai, { provider: first, model: ai.providers[first].defaultModel }, input, log);
  } catch (error) {
    await releaseAiTokens(db, reservation);
    throw error;
  }
  await settleAiTokens(db, reservation, answered.result.usage, answered.attempts.length);
  return answered.result.text.trim();
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What is stored as the error (the owner sees it), and whether another attempt could succeed. */
function describe(error: unknown): { message: string; permanent: boolean } {
  if (error instanceof UnprocessableDocument) return { message: error.message, permanent: true };
  if (error instanceof ProviderFailure) {
    // A file Vision refuses (corrupt) stays refused; no key is an operator's fix, so it is retried.
    return { message: `text extraction failed: ${error.detail}`, permanent: error.kind === "rejected" };
  }
  if (error instanceof AiUnavailableError) {
    return { message: "summary failed: no AI provider answered", permanent: false };
  }
  if (error instanceof HttpError) return { message: error.message, permanent: false };
  if (error instanceof StorageError) return { message: error.message, permanent: false };
  return { message: UNEXPECTED, permanent: false };
}
