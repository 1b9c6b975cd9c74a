/**
 * The frame every function shares: CORS preflight, allowed methods, authentication, a request id, structured
 * logs, error answers with stable codes, and the security and CORS headers on every response (streams too).
 * It measures every request: a sampled `performance_metrics` row through the Database among `resources`
 * (functions/_shared/performance.ts), and each 5xx to Sentry when SENTRY_DSN is set (./sentry.ts).
 *
 *   export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
 *     const db = createDatabase(env);
 *     return createUserFunction({ name: "my-function", env, methods: ["POST"], resources: [db] },
 *       async (req, ctx) => jsonResponse({ hello: ctx.user.userId }));
 *   }
 */
import { authenticate, requireSignedInUser, type SignedInUser } from "./auth.ts";
import { corsHeaders, preflightResponse } from "./cors.ts";
import { Database, isDatabaseUnreachable } from "./db.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import { createLogger, type Logger, secretsFromEnv } from "./log.ts";
import { recordPerformance, sampleRate } from "./performance.ts";
import { errorResponse } from "./responses.ts";
import { SECURITY_HEADERS } from "./security_headers.ts";
import { reportError } from "./sentry.ts";

export interface EdgeFunction {
  readonly name: string;
  /** Answers one request; never throws. */
  fetch(req: Request): Promise<Response>;
  /** Releases what the handler holds (database pool); tests call it, Deno.serve never needs to. */
  close(): Promise<void>;
}

export interface FunctionOptions {
  /** The function's name (its folder, its URL, its rate-limit action, its log field). */
  name: string;
  env: Env;
  /** Allowed methods besides OPTIONS, e.g. ["POST"]. */
  methods: readonly string[];
  /** Closed by EdgeFunction.close(). The Database among them also receives the performance_metrics rows. */
  resources?: readonly { close(): Promise<void> }[];
  /** Decides whether a request is measured (tests pass their own); Math.random by default. */
  random?: () => number;
}

export interface RequestContext {
  name: string;
  env: Env;
  requestId: string;
  /** Carries function and request_id (and user_id for user functions) on every line. */
  log: Logger;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /**
   * What goes into the request's performance_metrics row besides its timing: the signed-in caller (set by the
   * frame; the row then carries their profile's tier) or a tier the handler already knows.
   */
  measure: Measure;
}

export interface Measure {
  tier?: string;
  userId?: string;
}

export interface UserRequestContext extends RequestContext {
  user: SignedInUser;
}

/** A function for signed-in users: a valid JWT with role authenticated and a user id, else 401. */
export function createUserFunction(
  options: FunctionOptions,
  handle: (req: Request, ctx: UserRequestContext) => Promise<Response>,
): EdgeFunction {
  return frame(options, async (req, ctx) => {
    const user = requireSignedInUser(await authenticate(req, options.env));
    ctx.measure.userId = user.userId;
    const log = ctx.log.child({ user_id: user.userId });
    return await handle(req, { ...ctx, log, user });
  });
}

/** A function anyone may call (health-check): no token is read. */
export function createPublicFunction(
  options: FunctionOptions,
  handle: (req: Request, ctx: RequestContext) => Promise<Response>,
): EdgeFunction {
  return frame(options, handle);
}

function frame(
  options: FunctionOptions,
  handle: (req: Request, ctx: RequestContext) => Promise<Response>,
): EdgeFunction {
  const { name, env, methods } = options;
  const secrets = secretsFromEnv(env);
  const db = options.resources?.find((resource): resource is Database => resource instanceof Database);
  const random = options.random ?? Math.random;
  // Writes and reports still under way; close() waits for them (the runtime keeps them alive via waitUntil).
  const pending = new Set<Promise<unknown>>();
  const afterAnswer = (work: Promise<unknown>) => {
    const tracked = work.finally(() => pending.delete(tracked));
    pending.add(tracked);
    waitUntil(tracked);
  };
  return {
    name,
    async fetch(req: Request): Promise<Response> {
      const startedAt = performance.now();
      const requestId = requestIdOf(req);
      const log = createLogger({ function: name, request_id: requestId }, secrets);
      const measure: Measure = {};
      let thrown: unknown;
      let response: Response;
      if (req.method === "OPTIONS") {
        response = preflightResponse(env, req, methods);
      } else if (!methods.includes(req.method)) {
        response = errorResponse(
          new HttpError(405, "method_not_allowed", `${name} accepts ${methods.join(", ")}, not ${req.method}`, {
            headers: { Allow: [...methods, "OPTIONS"].join(", ") },
          }),
          requestId,
        );
      } else {
        [response, thrown] = await answer(req, { name, env, requestId, log, startedAt, measure }, handle);
      }
      const finished = withHeaders(response, { ...SECURITY_HEADERS, ...corsHeaders(env, req, methods) }, requestId);
      const durationMs = performance.now() - startedAt;
      log.info("request finished", {
        method: req.method,
        status: finished.status,
        duration_ms: Math.round(durationMs),
      });
      if (db && req.method !== "OPTIONS" && random() < sampleRate(env, log)) {
        const row = { functionName: name, durationMs, status: finished.status, method: req.method, requestId };
        afterAnswer(
          recordPerformance(db, { ...row, ...measure }).catch((error) =>
            log.warn("performance_metrics row not written", { error })
          ),
        );
      }
      if (finished.status >= 500 && thrown !== undefined) {
        const path = new URL(req.url).pathname;
        const report = { error: thrown, functionName: name, requestId, method: req.method, path };
        afterAnswer(reportError(env, { ...report, environment: env.APP_ENV, release: env.APP_VERSION }, secrets));
      }
      return finished;
    },
    async close(): Promise<void> {
      await Promise.allSettled([...pending]);
      await Promise.all((options.resources ?? []).map((resource) => resource.close()));
    },
  };
}

/** The answer, and what the handler threw when it threw (for the error report). */
async function answer(
  req: Request,
  ctx: RequestContext,
  handle: (req: Request, ctx: RequestContext) => Promise<Response>,
): Promise<[Response, unknown]> {
  try {
    return [await handle(req, ctx), undefined];
  } catch (error) {
    return [errorResponse(toHttpError(error, ctx.log), ctx.requestId), error];
  }
}

// Supabase's edge runtime keeps an isolate alive for promises handed to EdgeRuntime.waitUntil; elsewhere
// (tests, plain Deno) the promise simply runs on.
function waitUntil(work: Promise<unknown>): void {
  const runtime = (globalThis as { EdgeRuntime?: { waitUntil?: (p: Promise<unknown>) => void } }).EdgeRuntime;
  runtime?.waitUntil?.(work);
}

/** An HttpError as it is; anything else logged (redacted) and answered without its text. */
export function toHttpError(error: unknown, log: Logger): HttpError {
  if (error instanceof HttpError) {
    if (error.status >= 500) log.error("request failed", { code: error.code, error: error.message });
    return error;
  }
  if (isDatabaseUnreachable(error)) {
    log.error("database unreachable", { error });
    return new HttpError(503, "database_unavailable", "The database cannot be reached right now; try again shortly", {
      headers: { "Retry-After": "5" },
    });
  }
  log.error("unexpected error", { error, stack: error instanceof Error ? error.stack : undefined });
  return new HttpError(500, "internal_error", "Something went wrong on our side; quote the request_id to support");
}

function withHeaders(response: Response, headers: Record<string, string>, requestId: string): Response {
  const merged = new Headers(response.headers);
  for (const [key, value] of Object.entries(headers)) {
    if (!merged.has(key)) merged.set(key, value);
  }
  merged.set("X-Request-Id", requestId);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: merged });
}

// A caller-chosen id (from a proxy) is kept when it is harmless; otherwise a fresh one.
function requestIdOf(req: Request): string {
  const given = req.headers.get("x-request-id");
  return given && /^[A-Za-z0-9._-]{8,64}$/.test(given) ? given : crypto.randomUUID();
}
