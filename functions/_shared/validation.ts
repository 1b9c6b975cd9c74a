/**
 * Request bodies: read as JSON (size-capped), validated with zod. A failure is a 400 whose message names every
 * bad field (`content: is required; conversation_id: must be a UUID`) and whose details list them one by one.
 */
import { z } from "npm:zod@3.25.76";
import { badRequest, HttpError } from "./errors.ts";

export { z };

export interface FieldProblem {
  field: string;
  message: string;
}

const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/**
 * Parses the body as JSON, refusing it with a 413 before more than `maxBytes` are held in memory: a declared
 * `Content-Length` over the limit is refused unread, and a body without one (chunked) is counted while it streams
 * and cancelled at the first chunk past the limit, so a 300 MB upload costs at most one chunk over `maxBytes`.
 */
export async function readJsonBody(req: Request, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<unknown> {
  const text = await readTextBody(
    req,
    maxBytes,
    "The request body is not valid UTF-8; send a JSON object encoded as UTF-8",
  );
  if (text.trim() === "") {
    throw badRequest("invalid_json", 'The request body is empty; send a JSON object, e.g. {"content": "Hello"}');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("invalid_json", "The request body is not valid JSON; send a JSON object");
  }
}

/**
 * The body as UTF-8 text, exactly as sent (a webhook's signature is over these bytes), capped like readJsonBody:
 * a declared `Content-Length` over `maxBytes` is refused unread, a stream is cancelled at the first chunk past it.
 * Text that is not UTF-8 is a 400 `invalid_json` with `notUtf8Message`.
 */
export async function readTextBody(req: Request, maxBytes: number, notUtf8Message: string): Promise<string> {
  const declared = declaredLength(req);
  if (declared !== null && declared > maxBytes) {
    await req.body?.cancel();
    throw bodyTooLarge(maxBytes);
  }
  const bytes = await readBytesUpTo(req, maxBytes);
  try {
    return UTF8.decode(bytes);
  } catch {
    throw badRequest("invalid_json", notUtf8Message);
  }
}

function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "body_too_large", `The request body is larger than ${maxBytes} bytes; send less`);
}

/** The Content-Length the client declared, or null when absent or not a plain decimal (then the count decides). */
function declaredLength(req: Request): number | null {
  const header = req.headers.get("content-length");
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim());
}

// Fatal: a body that is not UTF-8 is refused rather than parsed with replacement characters.
const UTF8 = new TextDecoder("utf-8", { fatal: true });

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

async function readBytesUpTo(req: Request, maxBytes: number): Promise<Uint8Array> {
  if (req.body === null) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Cancelling tells the server to stop receiving: the rest of the stream is never read.
      await reader.cancel();
      throw bodyTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0] : concat(chunks, total);
}

/** Reads and validates the body; returns the parsed value typed by the schema. */
export async function parseBody<S extends z.ZodTypeAny>(req: Request, schema: S): Promise<z.infer<S>> {
  return validate(await readJsonBody(req), schema);
}

export function validate<S extends z.ZodTypeAny>(value: unknown, schema: S): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = fieldProblems(result.error);
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join("; ");
  throw badRequest("invalid_request", `Invalid request: ${summary}`, { fields: problems });
}

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join(".") : "body",
    message: issue.message,
  }));
}
