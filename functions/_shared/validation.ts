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

export async function readJsonBody(req: Request, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<unknown> {
  const text = await req.text();
  if (new TextEncoder().encode(text).length > maxBytes) {
    throw new HttpError(413, "body_too_large", `The request body is larger than ${maxBytes} bytes; send less text`);
  }
  if (text.trim() === "") {
    throw badRequest("invalid_json", 'The request body is empty; send a JSON object, e.g. {"content": "Hello"}');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("invalid_json", "The request body is not valid JSON; send a JSON object");
  }
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
