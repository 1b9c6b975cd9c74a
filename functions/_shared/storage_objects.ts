/**
 * Supabase Storage objects through its REST API, as service_role (the caller's rights were checked before):
 *   POST {SUPABASE_URL}/storage/v1/object/upload/sign/<bucket>/<path>   -> {"url": "/object/upload/sign/...?token=..."}
 *       a URL the client PUTs the file to, valid for two hours (Storage's own limit), no key needed;
 *   GET  {SUPABASE_URL}/storage/v1/object/authenticated/<bucket>/<path>  -> the bytes.
 * Errors name the object and the HTTP status, never a key or the upstream body.
 */
import { type Env, requireEnv } from "./env.ts";
import { canonicalObjectKey } from "./object_key.ts";
import { StorageError } from "./storage.ts";
import { fetchWithTimeout, textWithTimeout, TimeoutError, withTimeout } from "./timeout.ts";

const DEFAULT_TIMEOUT_MS = 10_000;

export interface SignedUpload {
  /** Absolute URL; the client sends `PUT` with the file as the body. */
  signedUrl: string;
  token: string;
  path: string;
}

function storageBase(env: Env): string {
  return `${requireEnv(env, "SUPABASE_URL").replace(/\/+$/, "")}/storage/v1`;
}

/** Refuses (ObjectKeyError) a key that is not canonical before any request is made. */
function objectPath(bucket: string, path: string): string {
  return `${encodeURIComponent(bucket)}/${canonicalObjectKey(path).split("/").map(encodeURIComponent).join("/")}`;
}

function serviceHeaders(env: Env): Record<string, string> {
  const key = requireEnv(env, "SUPABASE_SERVICE_ROLE_KEY");
  return { Authorization: `Bearer ${key}`, apikey: key };
}

export async function createSignedUploadUrl(
  env: Env,
  bucket: string,
  path: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<SignedUpload> {
  const base = storageBase(env);
  const what = `a signed upload URL for ${bucket}/${path}`;
  const text = await call(
    `${base}/object/upload/sign/${objectPath(bucket, path)}`,
    {
      method: "POST",
      headers: { ...serviceHeaders(env), "Content-Type": "application/json" },
      body: "{}",
    },
    timeoutMs,
    what,
  );
  let relative: unknown;
  try {
    relative = (JSON.parse(text) as { url?: unknown }).url;
  } catch {
    relative = undefined;
  }
  if (typeof relative !== "string" || !relative.startsWith("/")) {
    throw new StorageError(`Storage answered ${what} without a URL`);
  }
  const signedUrl = new URL(base + relative);
  const token = signedUrl.searchParams.get("token");
  if (!token) throw new StorageError(`Storage answered ${what} without a token`);
  return { signedUrl: signedUrl.toString(), token, path };
}

/** The object's bytes; a 404 is a StorageError with status 404 (the upload never happened, or was deleted). */
export async function downloadObject(
  env: Env,
  bucket: string,
  path: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<Uint8Array> {
  const url = `${storageBase(env)}/object/authenticated/${objectPath(bucket, path)}`;
  const what = `${bucket}/${path}`;
  let response: Response;
  let controller: AbortController;
  try {
    ({ response, controller } = await fetchWithTimeout(url, { headers: serviceHeaders(env) }, timeoutMs));
  } catch (error) {
    throw unreachable(error, timeoutMs, `reading ${what}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new StorageError(`Storage refused to read ${what} (HTTP ${response.status})`, response.status);
  }
  try {
    return new Uint8Array(await withTimeout(response.arrayBuffer(), timeoutMs, () => controller.abort()));
  } catch (error) {
    throw unreachable(error, timeoutMs, `reading ${what}`);
  }
}

async function call(url: string, init: RequestInit, timeoutMs: number, what: string): Promise<string> {
  try {
    const { response, controller } = await fetchWithTimeout(url, init, timeoutMs);
    const text = await textWithTimeout(response, controller, timeoutMs);
    if (!response.ok) throw new StorageError(`Storage refused ${what} (HTTP ${response.status})`, response.status);
    return text;
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw unreachable(error, timeoutMs, `asking for ${what}`);
  }
}

function unreachable(error: unknown, timeoutMs: number, doing: string): StorageError {
  if (error instanceof TimeoutError) return new StorageError(`Storage did not answer within ${timeoutMs} ms ${doing}`);
  return new StorageError(`Storage could not be reached ${doing}`);
}
