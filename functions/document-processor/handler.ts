/**
 * document-processor: the worker that turns uploaded documents into text, a summary and embeddings.
 *
 * Called by its schedule (pg_cron through pg_net, every five minutes; see function.json and
 * docs/functions.md) and on demand, always with the service-role key: it acts for every user, so no user token is
 * accepted (403). Body (optional): {"max_jobs": 1-50, "document_id": "<uuid>" (only that document's job)}.
 * Answer: 200 {worker, released, claimed, completed, reused, retried, dead_lettered, lost, results: [...]}.
 * Each run writes one performance_metrics row (guide 002's monitoring).
 */
import { authenticate } from "../_shared/auth.ts";
import { createDatabase } from "../_shared/db.ts";
import { type Env, envInt } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import { createPublicFunction, type EdgeFunction } from "../_shared/function.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { readJsonBody, validate, z } from "../_shared/validation.ts";
import { recordRun } from "./jobs.ts";
import { runWorker } from "./worker.ts";

const NAME = "document-processor";
const MAX_BODY_BYTES = 4096;

const RunRequest = z.object({
  max_jobs: z.number({ invalid_type_error: "must be a number" }).int("must be a whole number")
    .min(1, "must be at least 1").max(50, "must be at most 50").optional(),
  document_id: z.string({ invalid_type_error: "must be a string" }).uuid("must be a document's UUID").optional(),
}, { invalid_type_error: "must be a JSON object" }).passthrough();

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createPublicFunction({ name: NAME, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    const caller = await authenticate(req, env);
    if (caller.role !== "service_role") {
      throw new HttpError(
        403,
        "service_role_required",
        "document-processor runs for every user's documents: call it with the service-role key (its schedule does)",
      );
    }
    const body = validate(await bodyOrEmpty(req), RunRequest);
    const worker = `${NAME}:${ctx.requestId}`;
    const started = performance.now();
    let success = false;
    let metadata: Record<string, unknown> = { request_id: ctx.requestId, worker };
    try {
      const summary = await runWorker(env, db, ctx.log, {
        worker,
        maxJobs: body.max_jobs ?? envInt(env, "PROCESSOR_MAX_JOBS", 10, 1, 50),
        documentId: body.document_id,
      });
      const { results: _results, ...counts } = summary;
      metadata = { ...metadata, ...counts };
      success = summary.lost === 0;
      ctx.log.info("worker run finished", counts);
      return jsonResponse(summary);
    } finally {
      await recordRun(db, { durationMs: performance.now() - started, success, metadata }).catch((error) =>
        ctx.log.error("the run's performance_metrics row could not be written", { error })
      );
    }
  });
}

// pg_net posts `{"scheduled_at": ...}`; an operator may post nothing at all. Read with the shared size cap.
async function bodyOrEmpty(req: Request): Promise<unknown> {
  if (req.body === null) return {};
  try {
    return await readJsonBody(req, MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof HttpError && error.code === "invalid_json" && error.message.includes("is empty")) return {};
    throw error;
  }
}
