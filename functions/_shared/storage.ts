/**
 * Writing files to Supabase Storage through its REST API, as service_role (the backend writes results into the
 * user's folder; the storage policies let the user read them there). No supabase-js: one authenticated request.
 *
 *   POST ${SUPABASE_URL}/storage/v1/object/<bucket>/<path>   (x-upsert: true replaces an existing object)
 */
import { type Env, requireEnv } from "./env.ts";
import { canonicalObjectKey } from "./object_key.ts";
import { fetchWithTimeout, textWithTimeout, TimeoutError } from "./timeout.ts";

const DEFAULT_TIMEOUT_MS = 10_000;

/** A failed upload; the message names the object and the HTTP status, never a key. */
export class StorageError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "StorageError";
  }
}

export interface UploadOptions {
  contentType?: string;
  timeoutMs?: number;
}

/**
 * The object's URL; each path segment is encoded, the slashes between them kept. A key that is not canonical
 * (object_key.ts) throws ObjectKeyError before any request: Storage would resolve its dot segments.
 */
export function objectUrl(supabaseUrl: string, bucket: string, path: string): string {
  const encoded = canonicalObjectKey(path).split("/").map(encodeURIComponent).join("/");
  return `${supabaseUrl.replace(/\/+$/, "")}/storage/v1/object/${encodeURIComponent(bucket)}/${encoded}`;
}

/** Creates or replaces `bucket/path`; returns `path` (what the tables store, e.g. automation_jobs.result_path). */
export async function uploadObject(
  env: Env,
  bucket: string,
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  options: UploadOptions = {},
): Promise<string> {
  const url = objectUrl(requireEnv(env, "SUPABASE_URL"), bucket, path);
  const key = requireEnv(env, "SUPABASE_SERVICE_ROLE_KEY");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let status: number;
  try {
    const { response, controller } = await fetchWithTimeout(url, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${key}`,
        apikey: key,
        "Content-Type": options.contentType ?? "application/octet-stream",
        "x-upsert": "true",
      },
      body,
    }, timeoutMs);
    status = response.status;
    // Drain the body so the connection is released; its text is not echoed (it may quote the request).
    await textWithTimeout(response, controller, timeoutMs);
  } catch (error) {
    if (error instanceof TimeoutError) {
      throw new StorageError(`Storage did not answer within ${timeoutMs} ms while writing ${bucket}/${path}`);
    }
    throw new StorageError(`Storage could not be reached while writing ${bucket}/${path}`);
  }
  if (status < 200 || status > 299) {
    throw new StorageError(`Storage refused to write ${bucket}/${path} (HTTP ${status})`, status);
  }
  return path;
}

/**
 * A time-limited download URL for `bucket/path`, from Storage's signing endpoint (as service_role: the caller's
 * right to the object is decided before this is called, by row-level security on the table that names it):
 *
 *   POST ${SUPABASE_URL}/storage/v1/object/sign/<bucket>/<path>  {"expiresIn": <seconds>}
 *   200  {"signedURL": "/object/sign/<bucket>/<path>?token=<JWT>"}
 *
 * The answer is relative to /storage/v1 and not encoded; the URL returned here is absolute, each path segment
 * encoded. Storage refuses it after `expiresIn`.
 */
export async function createSignedUrl(
  env: Env,
  bucket: string,
  path: string,
  expiresInSeconds: number,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const base = requireEnv(env, "SUPABASE_URL").replace(/\/+$/, "");
  const key = requireEnv(env, "SUPABASE_SERVICE_ROLE_KEY");
  const url = objectUrl(base, bucket, path).replace("/storage/v1/object/", "/storage/v1/object/sign/");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let status: number;
  let text: string;
  try {
    const { response, controller } = await fetchWithTimeout(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, apikey: key, "Content-Type": "application/json" },
      body: JSON.stringify({ expiresIn: expiresInSeconds }),
    }, timeoutMs);
    status = response.status;
    text = await textWithTimeout(response, controller, timeoutMs);
  } catch (error) {
    if (error instanceof TimeoutError) {
      throw new StorageError(`Storage did not answer within ${timeoutMs} ms while signing ${bucket}/${path}`);
    }
    throw new StorageError(`Storage could not be reached while signing ${bucket}/${path}`);
  }
  // Storage answers a missing object with 400 {"statusCode": "404", ...}; both mean there is nothing to sign.
  if (status === 404 || (status === 400 && /"statusCode"\s*:\s*"404"/.test(text))) {
    throw new StorageError(`Storage has no object ${bucket}/${path}`, 404);
  }
  if (status < 200 || status > 299) {
    throw new StorageError(`Storage refused to sign ${bucket}/${path} (HTTP ${status})`, status);
  }
  let signed: unknown;
  try {
    signed = (JSON.parse(text) as { signedURL?: unknown }).signedURL;
  } catch {
    signed = undefined;
  }
  if (typeof signed !== "string" || !signed.startsWith("/")) {
    throw new StorageError(`Storage answered the signing of ${bucket}/${path} without a signedURL`, status);
  }
  // Storage answers the object's name as stored (a space stays a space, a # too); each segment is encoded here,
  // not with encodeURI, which would leave # and ? to cut the token off.
  const query = signed.lastIndexOf("?token=");
  const [pathPart, queryPart] = query < 0 ? [signed, ""] : [signed.slice(0, query), signed.slice(query)];
  return `${base}/storage/v1${pathPart.split("/").map(encodeURIComponent).join("/")}${queryPart}`;
}
