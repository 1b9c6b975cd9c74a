/**
 * CORS for browser callers (the SPA calls functions with supabase-js). Origins come from CORS_ALLOWED_ORIGINS
 * (comma-separated); unset means `*`, which is safe here because the credential is the Authorization header, not
 * a cookie. With a list, the request's Origin is echoed only when it is on the list.
 */
import { type Env, envList } from "./env.ts";

// supabase-js sends authorization, apikey, x-client-info and content-type on every call; execute-automation
// also reads idempotency-key.
const ALLOWED_HEADERS = "authorization, x-client-info, apikey, content-type, x-request-id, idempotency-key";
const EXPOSED_HEADERS = "retry-after, x-request-id, x-ratelimit-limit, x-ratelimit-remaining";

export function corsHeaders(env: Env, req: Request, methods: readonly string[]): Record<string, string> {
  const allowed = envList(env, "CORS_ALLOWED_ORIGINS", ["*"]);
  const headers: Record<string, string> = {
    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
    "Access-Control-Allow-Methods": [...methods, "OPTIONS"].join(", "),
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
    "Access-Control-Max-Age": "86400",
  };
  if (allowed.includes("*")) {
    headers["Access-Control-Allow-Origin"] = "*";
    return headers;
  }
  headers["Vary"] = "Origin";
  const origin = req.headers.get("origin");
  if (origin && allowed.includes(origin)) headers["Access-Control-Allow-Origin"] = origin;
  return headers;
}

/** The answer to a CORS preflight: no body, only the headers. */
export function preflightResponse(env: Env, req: Request, methods: readonly string[]): Response {
  return new Response(null, { status: 204, headers: corsHeaders(env, req, methods) });
}
