/**
 * Errors a handler throws to answer the client. The wrapper in function.ts turns an HttpError into the JSON body
 * `{"error": {"code", "message", "details"?, "request_id"}}`; anything else becomes a 500 without its text.
 * Codes are stable (clients branch on them); messages name the field or thing and say what to do.
 */
export class HttpError extends Error {
  readonly headers: Record<string, string>;
  readonly details: unknown;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export function notFound(code: string, message: string): HttpError {
  return new HttpError(404, code, message);
}

export function badRequest(code: string, message: string, details?: unknown): HttpError {
  return new HttpError(400, code, message, { details });
}

/** The caller has no `profiles` row (it is created at sign-up), so no tier, limit or quota applies to them. */
export function profileMissing(): HttpError {
  return new HttpError(
    403,
    "profile_missing",
    "This account has no profile (it is created at sign-up); sign up again or contact support",
  );
}
