/** JSON answers. Security and CORS headers are added by the wrapper in function.ts, not here. */
import type { HttpError } from "./errors.ts";

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

/** The one error shape: `{"error": {"code", "message", "details"?, "request_id"?}}`. */
export function errorResponse(error: HttpError, requestId?: string): Response {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  if (requestId) body.request_id = requestId;
  return jsonResponse({ error: body }, error.status, error.headers);
}
