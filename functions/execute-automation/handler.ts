/**
 * execute-automation: runs one of the signed-in user's automation workflows (guide 000, section 5.4).
 *
 * POST {"workflow_id", "input"?}, optional header Idempotency-Key
 *   200 {"job", "result", "deduplicated": false}   the job ran: succeeded, result stored in Storage
 *   200 | 202 {"job", "deduplicated": true}         a job already existed for this key, or the workflow was already
 *                                                    queued or running (202 while it is still queued or running)
 *   404 workflow_not_found (not theirs or not there), 409 workflow_inactive, 422 idempotency_key_reused,
 *   502 automation_failed | result_not_stored, 504 automation_timeout (the job is then failed, error_message says why)
 *
 * The job row goes queued -> running -> succeeded | failed. The service's JSON answer is written to the
 * automation-results bucket at <user id>/<job id>.json (result_path). Settings: AUTOMATION_SERVICE_URL,
 * WEBHOOK_SECRET, AUTOMATION_TIMEOUT_MS (default 30000), SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (Storage).
 */
import { createDatabase, type Database, type Tx } from "../_shared/db.ts";
import { type Env, envInt, requireEnv, requireSecureUrl } from "../_shared/env.ts";
import { HttpError, notFound } from "../_shared/errors.ts";
import { createUserFunction, type EdgeFunction, type UserRequestContext } from "../_shared/function.ts";
import { canonicalObjectKey } from "../_shared/object_key.ts";
import { enforceRateLimit, rateLimitHeaders, type RateLimitStatus } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { StorageError, uploadObject } from "../_shared/storage.ts";
import { parseBody } from "../_shared/validation.ts";
import {
  existingJob,
  failAbandonedJobs,
  type Job,
  jobByIdempotencyKey,
  markFailed,
  markRunning,
  markSucceeded,
  queueJob,
  visibleWorkflow,
  type Workflow,
} from "./jobs.ts";
import { type AutomationRequest, automationRequest, IDEMPOTENCY_HEADER, idempotencyKey } from "./request.ts";
import { runOnService, serviceBody, ServiceFailure, type ServiceSettings } from "./service.ts";

export const NAME = "execute-automation";
export const RESULTS_BUCKET = "automation-results";

type Start = { job: Job; workflow: Workflow } | { existing: Job };

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction(
    { name: NAME, env, methods: ["POST"], resources: [db] },
    (req, ctx) => execute(req, ctx, db),
  );
}

/** Read before anything is written, so a misconfigured function answers 500 without leaving a queued job. */
function serviceSettings(env: Env): ServiceSettings {
  requireEnv(env, "SUPABASE_URL");
  requireEnv(env, "SUPABASE_SERVICE_ROLE_KEY");
  return {
    url: requireSecureUrl(env, "AUTOMATION_SERVICE_URL"),
    secret: requireEnv(env, "WEBHOOK_SECRET"),
    timeoutMs: envInt(env, "AUTOMATION_TIMEOUT_MS", 30_000, 100, 300_000),
  };
}

async function execute(req: Request, ctx: UserRequestContext, db: Database): Promise<Response> {
  const settings = serviceSettings(ctx.env);
  const limit = await enforceRateLimit(db, ctx.user, NAME);
  const request = await parseBody(req, automationRequest);
  const key = idempotencyKey(req);
  const abandoned = await failAbandonedJobs(db, ctx.user.userId, request.workflow_id);
  if (abandoned > 0) ctx.log.warn("abandoned automation jobs failed", { workflow_id: request.workflow_id, abandoned });

  const start = await db.asCaller(ctx.user, (tx) => startJob(tx, ctx.user.userId, request, key));
  if ("existing" in start) return replay(start.existing, request, limit);
  return await run(ctx, db, settings, start.job, start.workflow, request.input ?? {}, limit);
}

async function startJob(
  tx: Tx,
  userId: string,
  request: AutomationRequest,
  key: string | undefined,
): Promise<Start> {
  if (key) {
    const keyed = await jobByIdempotencyKey(tx, userId, key);
    if (keyed) return { existing: keyed };
  }
  const workflow = await visibleWorkflow(tx, request.workflow_id);
  if (!workflow) {
    throw notFound(
      "workflow_not_found",
      `workflow_id: no automation workflow ${request.workflow_id} belongs to this user; send the id of one of yours`,
    );
  }
  if (!workflow.is_active) {
    throw new HttpError(
      409,
      "workflow_inactive",
      `workflow_id: workflow ${workflow.id} is inactive; set is_active to true before running it`,
    );
  }
  const job = await queueJob(tx, workflow.id, request.input ?? {}, key);
  if (job) return { job, workflow };
  const existing = await existingJob(tx, userId, workflow.id, key);
  if (existing) return { existing };
  // The job that blocked ours finished between the two statements: the client may simply retry.
  throw new HttpError(409, "job_conflict", "Another job of this workflow just finished; send the request again");
}

function replay(job: Job, request: AutomationRequest, limit: RateLimitStatus): Response {
  if (job.workflow_id !== request.workflow_id) {
    throw new HttpError(
      422,
      "idempotency_key_reused",
      `${IDEMPOTENCY_HEADER} was already used for a job of workflow ${job.workflow_id}; use a new key per request`,
    );
  }
  const stillGoing = job.status === "queued" || job.status === "running";
  return jsonResponse({ job, deduplicated: true }, stillGoing ? 202 : 200, rateLimitHeaders(limit));
}

async function run(
  ctx: UserRequestContext,
  db: Database,
  settings: ServiceSettings,
  queued: Job,
  workflow: Workflow,
  input: Record<string, unknown>,
  limit: RateLimitStatus,
): Promise<Response> {
  const userId = ctx.user.userId;
  const log = ctx.log.child({ job_id: queued.id, workflow_id: workflow.id });
  const job = await markRunning(db, queued.id);
  log.info("automation job running");
  try {
    const result = await runOnService(settings, job.id, serviceBody(job, workflow, userId, input));
    const path = canonicalObjectKey(`${userId}/${job.id}.json`, userId);
    await uploadObject(ctx.env, RESULTS_BUCKET, path, result.text, { contentType: "application/json" });
    const succeeded = await markSucceeded(db, job.id, path, result);
    log.info("automation job succeeded", { result_path: path });
    return jsonResponse({ job: succeeded, result: result.value, deduplicated: false }, 200, rateLimitHeaders(limit));
  } catch (error) {
    if (!(error instanceof ServiceFailure || error instanceof StorageError)) {
      await markFailed(db, job.id, "the job stopped on an internal error").catch(() => {});
      throw error;
    }
    const failed = await markFailed(db, job.id, error.message);
    log.warn("automation job failed", { error: error.message });
    throw failure(error, failed);
  }
}

function failure(error: ServiceFailure | StorageError, job: Job): HttpError {
  const details = { job };
  if (error instanceof StorageError) {
    return new HttpError(502, "result_not_stored", `The job ran but its result could not be stored: ${error.message}`, {
      details,
    });
  }
  if (error.timedOut) {
    return new HttpError(504, "automation_timeout", `Job ${job.id} failed: ${error.message}; try again later`, {
      details,
    });
  }
  return new HttpError(502, "automation_failed", `Job ${job.id} failed: ${error.message}; try again later`, {
    details,
  });
}
