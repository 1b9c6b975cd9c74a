/**
 * automation_jobs rows through their life: queued (by the user, so row-level security checks the workflow is
 * theirs and active), then running, succeeded or failed (by this function as the runner, service_role, since
 * users may not update jobs). Two unique indexes (migration 20251101001100) keep a job from starting twice:
 * one queued-or-running job per workflow, and one job per user and Idempotency-Key.
 */
import type { Database, Tx } from "../_shared/db.ts";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface Job {
  id: string;
  workflow_id: string;
  status: JobStatus;
  idempotency_key: string | null;
  result_path: string | null;
  error_message: string | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface Workflow {
  id: string;
  name: string;
  steps: unknown;
  is_active: boolean;
}

/**
 * A job queued or running longer than this has no request left working on it (Supabase ends a request after at
 * most 400 s of wall-clock time): it is marked failed, so its workflow can run again.
 */
export const ABANDONED_AFTER_SECONDS = 600;

// The `result` column gets the service's answer when it is at most this size; result_path always has it.
export const RESULT_COLUMN_MAX_BYTES = 64 * 1024;

const JOB_COLUMNS = [
  "id",
  "workflow_id",
  "status",
  "idempotency_key",
  "result_path",
  "error_message",
  "created_at",
  "started_at",
  "completed_at",
];

export async function jobByIdempotencyKey(tx: Tx, userId: string, key: string): Promise<Job | undefined> {
  const [job] = await tx<Job[]>`
    select ${tx(JOB_COLUMNS)} from public.automation_jobs where user_id = ${userId} and idempotency_key = ${key}`;
  return job;
}

/** The workflow if the caller may see it (row-level security: their own), else undefined. */
export async function visibleWorkflow(tx: Tx, workflowId: string): Promise<Workflow | undefined> {
  const [workflow] = await tx<Workflow[]>`
    select id, name, steps, is_active from public.automation_workflows where id = ${workflowId}`;
  return workflow;
}

/** Queues a job as the caller; undefined when a unique index says one exists already (see activeOrKeyedJob). */
export async function queueJob(
  tx: Tx,
  workflowId: string,
  input: Record<string, unknown>,
  key: string | undefined,
): Promise<Job | undefined> {
  const [job] = await tx<Job[]>`
    insert into public.automation_jobs (workflow_id, input, idempotency_key)
    values (${workflowId}, ${tx.json(input as Parameters<Tx["json"]>[0])}, ${key ?? null})
    on conflict do nothing
    returning ${tx(JOB_COLUMNS)}`;
  if (job) await tx`update public.automation_workflows set last_run_at = now() where id = ${workflowId}`;
  return job;
}

/** The job that made queueJob back off: the one with this key, else the workflow's queued or running job. */
export async function existingJob(
  tx: Tx,
  userId: string,
  workflowId: string,
  key: string | undefined,
): Promise<Job | undefined> {
  if (key) {
    const keyed = await jobByIdempotencyKey(tx, userId, key);
    if (keyed) return keyed;
  }
  const [active] = await tx<Job[]>`
    select ${tx(JOB_COLUMNS)} from public.automation_jobs
    where workflow_id = ${workflowId} and status in ('queued', 'running')`;
  return active;
}

/** Fails the user's jobs of this workflow that were abandoned (see ABANDONED_AFTER_SECONDS). */
export async function failAbandonedJobs(db: Database, userId: string, workflowId: string): Promise<number> {
  const rows = await db.asServiceRole((tx) =>
    tx`
      update public.automation_jobs
      set status = 'failed', completed_at = now(),
          error_message = ${`abandoned: no result ${ABANDONED_AFTER_SECONDS} seconds after it was queued`}
      where workflow_id = ${workflowId} and user_id = ${userId} and status in ('queued', 'running')
        and created_at < now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS})
      returning id`
  );
  return rows.length;
}

export async function markRunning(db: Database, jobId: string): Promise<Job> {
  return await moveJob(db, jobId, "queued", (tx) => tx`status = 'running', started_at = now()`);
}

/** `result` is the service's answer as received (text) and parsed (value). */
export async function markSucceeded(
  db: Database,
  jobId: string,
  resultPath: string,
  result: { text: string; value: unknown },
): Promise<Job> {
  const small = new TextEncoder().encode(result.text).length <= RESULT_COLUMN_MAX_BYTES;
  return await moveJob(
    db,
    jobId,
    "running",
    (tx) =>
      tx`status = 'succeeded', completed_at = now(), result_path = ${resultPath},
         result = ${small ? tx.json(result.value as Parameters<Tx["json"]>[0]) : null}, error_message = null`,
  );
}

export async function markFailed(db: Database, jobId: string, message: string): Promise<Job> {
  return await moveJob(
    db,
    jobId,
    "running",
    (tx) => tx`status = 'failed', completed_at = now(), error_message = ${message}`,
  );
}

// Each move starts from one status, so a job failed meanwhile (abandoned) is not overwritten.
async function moveJob(
  db: Database,
  jobId: string,
  from: JobStatus,
  set: (tx: Tx) => ReturnType<Tx>,
): Promise<Job> {
  const [job] = await db.asServiceRole((tx) =>
    tx<Job[]>`
      update public.automation_jobs set ${set(tx)}
      where id = ${jobId} and status = ${from}
      returning ${tx(JOB_COLUMNS)}`
  );
  if (!job) throw new Error(`automation job ${jobId} was no longer ${from}`);
  return job;
}
