/**
 * document-upload: registers a document and hands back a signed upload URL (Storage), or confirms an upload that
 * is done and queues the document for processing.
 *
 *   {"file_name", "mime_type", "file_size", "title"?, "description"?, "category"?, "tags"?, "expires_on"?, "sha256"?}
 *     -> 201 {document, upload: {signed_url, token, path, method: "PUT", expires_in_seconds}}
 *     -> 200 {duplicate: true, document}  (the caller already has a document with these bytes)
 *   {"document_id"}  -> 200 {document, queued}
 *
 * Order of work: rate limit (action `document-upload`), body, the bucket's rules (from storage.buckets, the same
 * ones Storage enforces), the duplicate check, then quota and row in one transaction, then Storage.
 */
import { createDatabase } from "../_shared/db.ts";
import type { Env } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import { createUserFunction, type EdgeFunction, type UserRequestContext } from "../_shared/function.ts";
import { canonicalObjectKey } from "../_shared/object_key.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { StorageError } from "../_shared/storage.ts";
import { createSignedUploadUrl } from "../_shared/storage_objects.ts";
import { readJsonBody, validate } from "../_shared/validation.ts";
import { ConfirmUpload, CreateUpload } from "./request.ts";
import {
  BUCKET,
  bucketRules,
  confirmUpload,
  createDocument,
  deleteDocument,
  findDuplicate,
  UPLOAD_WINDOW_SECONDS,
} from "./store.ts";

const NAME = "document-upload";

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction({ name: NAME, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    const limit = await enforceRateLimit(db, ctx.user, NAME);
    const headers = rateLimitHeaders(limit);
    const raw = await readJsonBody(req);
    if (typeof raw === "object" && raw !== null && "document_id" in raw) {
      const body = validate(raw, ConfirmUpload);
      const confirmed = await confirmUpload(db, ctx.user, body.document_id);
      if (confirmed.queued) ctx.log.info("upload confirmed, document queued", { document_id: body.document_id });
      return jsonResponse(confirmed, 200, headers);
    }
    return await register(env, db, ctx, validate(raw, CreateUpload), headers);
  });
}

async function register(
  env: Env,
  db: ReturnType<typeof createDatabase>,
  ctx: UserRequestContext,
  body: CreateUpload,
  headers: Record<string, string>,
): Promise<Response> {
  const rules = await bucketRules(db);
  if (rules.allowedMimeTypes.length > 0 && !rules.allowedMimeTypes.includes(body.mime_type)) {
    throw new HttpError(
      415,
      "unsupported_file_type",
      `${body.mime_type} files are not accepted; send one of ${rules.allowedMimeTypes.join(", ")}`,
      { details: { allowed: rules.allowedMimeTypes } },
    );
  }
  if (rules.fileSizeLimit !== null && body.file_size > rules.fileSizeLimit) {
    throw new HttpError(
      413,
      "file_too_large",
      `The file is ${body.file_size} bytes; documents may be at most ${rules.fileSizeLimit} bytes`,
      { details: { limit: rules.fileSizeLimit } },
    );
  }
  if (body.sha256) {
    const duplicate = await findDuplicate(db, ctx.user, body.sha256);
    if (duplicate) {
      ctx.log.info("duplicate upload recognised", { document_id: duplicate.id });
      return jsonResponse({ duplicate: true, document: duplicate }, 200, headers);
    }
  }
  const fileName = body.file_name.normalize("NFC");
  const document = await createDocument(db, ctx.user, {
    title: body.title ?? titleFrom(fileName),
    description: body.description,
    fileName,
    // A fresh folder per upload: two files of the same name never replace each other.
    filePath: `${ctx.user.userId}/${crypto.randomUUID()}/${storageSafe(fileName)}`,
    mimeType: body.mime_type,
    fileSize: body.file_size,
    category: body.category,
    tags: [...new Set(body.tags ?? [])],
    expiresOn: body.expires_on,
  });
  let upload;
  try {
    upload = await createSignedUploadUrl(env, BUCKET, canonicalObjectKey(document.file_path, ctx.user.userId));
  } catch (error) {
    await deleteDocument(db, ctx.user, document.id);
    if (error instanceof StorageError) {
      ctx.log.error("signing the upload failed; the document row was removed", { error: error.message });
      throw new HttpError(503, "storage_unavailable", "Storage could not prepare the upload; try again shortly", {
        headers: { "Retry-After": "5" },
      });
    }
    throw error;
  }
  ctx.log.info("document registered", { document_id: document.id, file_size: body.file_size });
  return jsonResponse(
    {
      duplicate: false,
      document,
      upload: {
        signed_url: upload.signedUrl,
        token: upload.token,
        path: upload.path,
        method: "PUT",
        expires_in_seconds: UPLOAD_WINDOW_SECONDS,
      },
    },
    201,
    headers,
  );
}

function titleFrom(fileName: string): string {
  const stem = fileName.replace(/\.[^.]{1,10}$/, "").trim();
  return (stem || fileName).slice(0, 500);
}

// Storage keys accept a limited set of characters; the original name stays in documents.file_name. A name of
// only dots would be a dot segment, which no canonical key holds (object_key.ts).
export function storageSafe(fileName: string): string {
  const safe = fileName.normalize("NFKD").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 120);
  return safe === "" || safe === "." || safe === ".." ? "file" : safe;
}
