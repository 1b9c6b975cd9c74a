/**
 * data-export: a signed-in user asks for their data, and later fetches the archive.
 *
 * POST {}  -> 202 {"export_id", "status": "requested"}      at most one request a day
 *          -> 429 export_rate_limited (Retry-After: seconds until the next allowed request)
 * GET      -> 200 {"exports": [{id, status, requested_at, expires_at, size_bytes, error, download_url?}]}
 *             download_url: a signed Storage URL valid for DOWNLOAD_URL_SECONDS, for each ready archive
 *
 * The archive (rows as JSON and every file, docs/data.md "Getting it") is built outside the edge runtime by the
 * lifecycle job (`ops export process-requests`), which reads every file of the person: hence the daily limit,
 * kept in the database (private.request_data_export), not here.
 */
import { createDatabase, type Database, sqlState } from "../_shared/db.ts";
import type { Env } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import { createUserFunction, type EdgeFunction, type UserRequestContext } from "../_shared/function.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { createSignedUrl } from "../_shared/storage.ts";
import { parseBody, z } from "../_shared/validation.ts";

export const NAME = "data-export";
export const EXPORT_BUCKET = "exports";
export const DOWNLOAD_URL_SECONDS = 3600;

const ExportRequest = z.object({}, { invalid_type_error: "must be a JSON object" }).strict("has unknown fields");

interface ExportRow {
  id: string;
  status: string;
  requested_at: Date;
  expires_at: Date | null;
  object_name: string | null;
  size_bytes: string | null;
  error: string | null;
}

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction(
    { name: NAME, env, methods: ["GET", "POST"], resources: [db] },
    (req, ctx) => req.method === "POST" ? requestExport(req, ctx, db) : listExports(ctx, db),
  );
}

async function requestExport(req: Request, ctx: UserRequestContext, db: Database): Promise<Response> {
  await parseBody(req, ExportRequest);
  try {
    const [row] = await db.asCaller(
      ctx.user,
      (tx) => tx<{ id: string }[]>`select private.request_data_export() as id`,
    );
    ctx.log.info("data export requested", { export_id: row.id });
    return jsonResponse({ export_id: row.id, status: "requested" }, 202);
  } catch (error) {
    if (sqlState(error) !== "54000") throw error;
    const next = Date.parse((error as { hint?: string }).hint ?? "");
    const wait = Number.isNaN(next) ? 86400 : Math.max(1, Math.ceil((next - Date.now()) / 1000));
    throw new HttpError(429, "export_rate_limited", "An export was requested in the last 24 hours; ask again later", {
      headers: { "Retry-After": String(wait) },
      details: { retry_after_seconds: wait },
    });
  }
}

async function listExports(ctx: UserRequestContext, db: Database): Promise<Response> {
  const rows = await db.asCaller(ctx.user, (tx) => tx<ExportRow[]>`select * from private.my_data_exports()`);
  const exports = await Promise.all(rows.map(async (row) => ({
    id: row.id,
    status: row.status,
    requested_at: row.requested_at,
    expires_at: row.expires_at,
    size_bytes: row.size_bytes === null ? null : Number(row.size_bytes),
    error: row.error,
    ...(row.status === "ready" && row.object_name
      ? { download_url: await createSignedUrl(ctx.env, EXPORT_BUCKET, row.object_name, DOWNLOAD_URL_SECONDS) }
      : {}),
  })));
  return jsonResponse({ exports });
}
