/**
 * What document-upload reads and writes. The caller's own rows are read and written as the caller (row-level
 * security and column grants decide); the bucket's rules, the object Storage recorded and the queue are the
 * backend's, read and written as service_role.
 */
import type { SignedInUser } from "../_shared/auth.ts";
import { becomeServiceRole, type Database, sqlState, type Tx } from "../_shared/db.ts";
import { HttpError, notFound, profileMissing } from "../_shared/errors.ts";
import { misconfigured } from "../_shared/env.ts";

export const BUCKET = "documents";
/** Storage's signed upload URLs are valid for two hours; a document not uploaded by then reserves nothing. */
export const UPLOAD_WINDOW_SECONDS = 7200;

export interface BucketRules {
  fileSizeLimit: number | null;
  allowedMimeTypes: string[];
}

export interface DocumentRow {
  id: string;
  user_id: string;
  title: string;
  file_name: string;
  file_path: string;
  mime_type: string | null;
  file_size: number;
  status: string;
  tags: string[];
  content_sha256: string | null;
  created_at: string;
}

const COLUMNS = "id, user_id, title, file_name, file_path, mime_type, file_size::float8 as file_size, status, tags, " +
  "content_sha256, created_at";

/** The documents bucket's size limit and MIME types, as Storage itself enforces them (storage.buckets). */
export async function bucketRules(db: Database): Promise<BucketRules> {
  const [row] = await db.asServiceRole((tx) =>
    tx<{ file_size_limit: string | null; allowed_mime_types: string[] | null }[]>`
      select file_size_limit, allowed_mime_types from storage.buckets where id = ${BUCKET}`
  );
  if (!row) throw misconfigured(`the Storage bucket "${BUCKET}" does not exist; deploy the stack's storageBuckets`);
  return {
    fileSizeLimit: row.file_size_limit === null ? null : Number(row.file_size_limit),
    allowedMimeTypes: row.allowed_mime_types ?? [],
  };
}

export async function findDuplicate(db: Database, user: SignedInUser, sha256: string): Promise<DocumentRow | null> {
  const rows = await db.asCaller(user, (tx) =>
    tx.unsafe<DocumentRow[]>(
      `select ${COLUMNS} from public.documents where user_id = $1 and content_sha256 = $2 order by created_at limit 1`,
      [user.userId, sha256],
    ));
  return rows[0] ?? null;
}

export interface Quota {
  used: number;
  limit: number;
  /** Declared sizes of documents created in the last two hours whose file has not arrived yet. */
  reserved: number;
}

export async function readQuota(tx: Tx, userId: string): Promise<Quota> {
  const [row] = await tx<{ used: string; limit: string; reserved: string }[]>`
    select p.storage_used as used, p.storage_limit as limit,
           coalesce((
             select sum(d.file_size) from public.documents d
             where d.user_id = p.id and d.status = 'uploaded'
               and d.created_at > now() - make_interval(secs => ${UPLOAD_WINDOW_SECONDS})
               and not exists (select 1 from storage.objects o where o.bucket_id = ${BUCKET} and o.name = d.file_path)
           ), 0) as reserved
    from public.profiles p where p.id = ${userId}`;
  if (!row) throw profileMissing();
  return { used: Number(row.used), limit: Number(row.limit), reserved: Number(row.reserved) };
}

export function quotaExceeded(quota: Quota, requested: number): HttpError {
  return new HttpError(
    413,
    "storage_quota_exceeded",
    `This file (${requested} bytes) does not fit: ${quota.used} of ${quota.limit} bytes are used` +
      (quota.reserved ? ` and ${quota.reserved} are reserved by uploads in progress` : "") +
      "; delete documents or upgrade the subscription for more storage",
    { details: { used: quota.used, limit: quota.limit, reserved: quota.reserved, requested } },
  );
}

export interface NewDocument {
  title: string;
  description?: string;
  fileName: string;
  filePath: string;
  mimeType: string;
  fileSize: number;
  category?: string;
  tags: string[];
  expiresOn?: string;
}

/** Checks the quota and inserts the row in one transaction (the profile row is locked by the insert trigger). */
export async function createDocument(db: Database, user: SignedInUser, doc: NewDocument): Promise<DocumentRow> {
  try {
    return await db.asCaller(user, async (tx) => {
      const quota = await readQuota(tx, user.userId);
      if (quota.used + quota.reserved + doc.fileSize > quota.limit) throw quotaExceeded(quota, doc.fileSize);
      const [row] = await tx.unsafe<DocumentRow[]>(
        `insert into public.documents
           (user_id, title, description, file_name, file_path, mime_type, file_size, category, tags, expires_on)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         returning ${COLUMNS}`,
        [
          user.userId,
          doc.title,
          doc.description ?? null,
          doc.fileName,
          doc.filePath,
          doc.mimeType,
          doc.fileSize,
          doc.category ?? null,
          doc.tags,
          doc.expiresOn ?? null,
        ],
      );
      return row;
    });
  } catch (error) {
    // The database's own check (documents_track_storage), for a race the read above could not see.
    if (sqlState(error) === "53400") {
      throw new HttpError(413, "storage_quota_exceeded", "This file does not fit in your storage limit", {
        details: { requested: doc.fileSize },
      });
    }
    if (sqlState(error) === "22007" || sqlState(error) === "22008") {
      throw new HttpError(400, "invalid_request", "Invalid request: expires_on: must be a real date", {
        details: { fields: [{ field: "expires_on", message: "must be a real date" }] },
      });
    }
    throw error;
  }
}

/** Undoes createDocument when Storage would not sign the upload, so nothing is left half-made. */
export async function deleteDocument(db: Database, user: SignedInUser, id: string): Promise<void> {
  await db.asCaller(user, (tx) => tx`delete from public.documents where id = ${id} and user_id = ${user.userId}`);
}

export interface Confirmation {
  document: DocumentRow;
  queued: boolean;
}

/**
 * The caller's own document (shared ones are read-only to them): once Storage holds its file, the row takes the
 * object's MIME type (the size follows by trigger), turns `queued`, and gets one processing job. Repeating it
 * changes nothing.
 */
export async function confirmUpload(db: Database, user: SignedInUser, id: string): Promise<Confirmation> {
  return await db.asCaller(user, async (tx) => {
    const [own] = await tx.unsafe<DocumentRow[]>(
      `select ${COLUMNS} from public.documents where id = $1 and user_id = $2 for update`,
      [id, user.userId],
    );
    if (!own) {
      throw notFound(
        "document_not_found",
        `Document ${id} was not found among your documents; check document_id (only the owner confirms an upload)`,
      );
    }
    if (own.status !== "uploaded") return { document: own, queued: false };
    await becomeServiceRole(tx);
    const [object] = await tx<{ mimetype: string | null }[]>`
      select metadata ->> 'mimetype' as mimetype from storage.objects
      where bucket_id = ${BUCKET} and name = ${own.file_path}`;
    if (!object) {
      throw new HttpError(
        409,
        "upload_missing",
        `Storage does not hold the file of document ${id} yet; PUT it to the signed URL, then confirm again`,
      );
    }
    const [document] = await tx.unsafe<DocumentRow[]>(
      `update public.documents set status = 'queued', mime_type = coalesce($2, mime_type)
       where id = $1 returning ${COLUMNS}`,
      [id, object.mimetype],
    );
    await tx`
      insert into public.processing_queue (document_id, task) values (${id}, 'process')
      on conflict (document_id, task) where status in ('queued', 'processing') do nothing`;
    return { document, queued: true };
  });
}
