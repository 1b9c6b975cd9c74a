/**
 * The processing queue as the worker sees it, all as service_role (the queue is backend-only). A job is claimed
 * with claim_processing_jobs (SKIP LOCKED: two workers never get the same job); every later write to it names the
 * worker that holds it, so a worker whose job was taken back (it ran past PROCESSOR_STALE_SECONDS) writes nothing.
 */
import { type Database, jsonb, type Tx } from "../_shared/db.ts";
import { vectorLiteral } from "../_shared/embeddings.ts";

export interface Job {
  id: string;
  document_id: string;
  attempts: number;
}

export interface DocumentToProcess {
  id: string;
  user_id: string;
  file_path: string;
  mime_type: string | null;
  status: string;
}

/** Jobs left in `processing` by a worker that died go back to the queue (or to the dead letter when spent). */
export async function releaseStaleJobs(db: Database, staleSeconds: number, maxAttempts: number): Promise<number> {
  const rows = await db.asServiceRole((tx) =>
    tx`
      update public.processing_queue
      set status = case when attempts >= ${maxAttempts} then 'failed' else 'queued' end,
          last_error = coalesce(last_error, 'the worker stopped before finishing'),
          locked_by = null, locked_at = null, run_after = now()
      where status = 'processing' and locked_at < now() - make_interval(secs => ${staleSeconds})
      returning id`
  );
  return rows.length;
}

export async function claimJob(db: Database, worker: string, documentId?: string): Promise<Job | null> {
  const rows = await db.asServiceRole((tx) =>
    documentId
      ? tx<Job[]>`
          update public.processing_queue
          set status = 'processing', locked_at = now(), locked_by = ${worker}, attempts = attempts + 1
          where id = (select id from public.processing_queue
                      where document_id = ${documentId} and status = 'queued' and run_after <= now()
                      limit 1 for update skip locked)
          returning id, document_id, attempts`
      : tx<Job[]>`select id, document_id, attempts from public.claim_processing_jobs(${worker}, 1)`
  );
  return rows[0] ?? null;
}

/** Hands back a job claimed a second time in one run (its retry came due at once): the next run takes it. */
export async function unclaimJob(db: Database, job: Job, worker: string): Promise<void> {
  await db.asServiceRole((tx) =>
    tx`
      update public.processing_queue
      set status = 'queued', attempts = greatest(attempts - 1, 0), locked_by = null, locked_at = null
      where id = ${job.id} and locked_by = ${worker} and status = 'processing'`
  );
}

export async function loadDocument(db: Database, job: Job, worker: string): Promise<DocumentToProcess | null> {
  return await db.asServiceRole(async (tx) => {
    const [doc] = await tx<DocumentToProcess[]>`
      select id, user_id, file_path, mime_type, status from public.documents where id = ${job.document_id}`;
    if (doc && doc.status !== "completed") {
      await tx`
        update public.documents set status = 'processing', processing_error = null
        where id = ${doc.id} and exists (select 1 from public.processing_queue q
                                         where q.id = ${job.id} and q.locked_by = ${worker} and q.status = 'processing')`;
    }
    return doc ?? null;
  });
}

/** True while this worker still holds the job; inside a transaction, it also locks the job's row. */
async function holdsJob(tx: Tx, job: Job, worker: string): Promise<boolean> {
  const rows = await tx`
    select 1 from public.processing_queue
    where id = ${job.id} and locked_by = ${worker} and status = 'processing' for update`;
  return rows.length > 0;
}

export interface Processed {
  text: string;
  summary: string | null;
  sha256: string;
  chunks: string[];
  vectors: number[][];
  model: string | null;
  metadata: Record<string, unknown>;
}

/** The document's results and the job's end, in one transaction; false when the job is no longer ours. */
export async function completeJob(db: Database, job: Job, worker: string, result: Processed): Promise<boolean> {
  return await db.asServiceRole(async (tx) => {
    if (!(await holdsJob(tx, job, worker))) return false;
    await tx`
      update public.documents
      set status = 'completed', extracted_text = ${result.text}, ai_summary = ${result.summary},
          content_sha256 = ${result.sha256}, processing_error = null, processed_at = now()
      where id = ${job.document_id}`;
    // Replaced whole, so processing a document again leaves exactly one set of chunks.
    await tx`delete from public.document_embeddings where document_id = ${job.document_id}`;
    for (let index = 0; index < result.chunks.length; index++) {
      await tx`
        insert into public.document_embeddings (document_id, chunk_index, content, embedding, model)
        values (${job.document_id}, ${index}, ${result.chunks[index]},
                ${vectorLiteral(result.vectors[index])}::extensions.vector, ${result.model})`;
    }
    await tx`
      update public.processing_queue set status = 'completed', last_error = null, locked_at = null
      where id = ${job.id}`;
    return true;
  });
}

/** Another completed document of the same owner with the same bytes: its results are reused, nothing is paid twice. */
export async function reuseDuplicate(db: Database, job: Job, worker: string, ownerId: string, sha256: string) {
  return await db.asServiceRole(async (tx) => {
    const [original] = await tx<{ id: string }[]>`
      select id from public.documents
      where user_id = ${ownerId} and content_sha256 = ${sha256} and status = 'completed' and id <> ${job.document_id}
      order by created_at limit 1`;
    if (!original || !(await holdsJob(tx, job, worker))) return null;
    await tx`
      update public.documents d
      set status = 'completed', extracted_text = o.extracted_text, ai_summary = o.ai_summary,
          content_sha256 = ${sha256}, duplicate_of = o.id, processing_error = null, processed_at = now()
      from public.documents o where o.id = ${original.id} and d.id = ${job.document_id}`;
    await tx`delete from public.document_embeddings where document_id = ${job.document_id}`;
    await tx`
      insert into public.document_embeddings (document_id, chunk_index, content, embedding, model)
      select ${job.document_id}, chunk_index, content, embedding, model
      from public.document_embeddings where document_id = ${original.id}`;
    await tx`update public.processing_queue set status = 'completed', locked_at = null where id = ${job.id}`;
    return original.id;
  });
}

export interface FailureOutcome {
  deadLettered: boolean;
  retryInSeconds: number | null;
}

/**
 * A failed attempt: back to the queue after an exponential backoff, or, after the last attempt or for a failure
 * that retrying cannot fix, the dead letter (the job stays `failed` with its last error; the document `failed`
 * with the reason its owner sees).
 */
export async function failJob(
  db: Database,
  job: Job,
  worker: string,
  error: { message: string; permanent: boolean },
  retry: { maxAttempts: number; baseSeconds: number; maxSeconds: number },
): Promise<FailureOutcome | null> {
  const deadLettered = error.permanent || job.attempts >= retry.maxAttempts;
  const delay = Math.min(retry.maxSeconds, retry.baseSeconds * 2 ** (job.attempts - 1));
  return await db.asServiceRole(async (tx) => {
    if (!(await holdsJob(tx, job, worker))) return null;
    await tx`
      update public.processing_queue
      set status = ${deadLettered ? "failed" : "queued"}, last_error = ${error.message}, locked_by = null,
          locked_at = null, run_after = now() + make_interval(secs => ${deadLettered ? 0 : delay})
      where id = ${job.id}`;
    await tx`
      update public.documents set status = ${deadLettered ? "failed" : "queued"}, processing_error = ${error.message}
      where id = ${job.document_id}`;
    return { deadLettered, retryInSeconds: deadLettered ? null : delay };
  });
}

/**
 * The job waits until `until` (a daily budget's reset) without using up an attempt; the document stays queued and
 * says why.
 */
export async function deferJob(db: Database, job: Job, worker: string, until: Date, reason: string): Promise<boolean> {
  return await db.asServiceRole(async (tx) => {
    if (!(await holdsJob(tx, job, worker))) return false;
    await tx`
      update public.processing_queue
      set status = 'queued', attempts = greatest(attempts - 1, 0), last_error = ${reason}, locked_by = null,
          locked_at = null, run_after = ${until}
      where id = ${job.id}`;
    await tx`update public.documents set status = 'queued', processing_error = ${reason} where id = ${job.document_id}`;
    return true;
  });
}

export async function finishWithoutWork(db: Database, job: Job, worker: string): Promise<void> {
  await db.asServiceRole(async (tx) => {
    if (await holdsJob(tx, job, worker)) {
      await tx`update public.processing_queue set status = 'completed', locked_at = null where id = ${job.id}`;
    }
  });
}

export async function recordRun(
  db: Database,
  run: { durationMs: number; success: boolean; metadata: Record<string, unknown> },
): Promise<void> {
  const memory = Deno.memoryUsage();
  await db.asServiceRole((tx) =>
    tx`
      insert into public.performance_metrics
        (function_name, execution_time_ms, memory_used_mb, heap_used_mb, success, metadata)
      values ('document-processor', ${Math.round(run.durationMs)}, ${memory.rss / 1048576},
              ${memory.heapUsed / 1048576}, ${run.success}, ${jsonb(tx, run.metadata)})`
  );
}
