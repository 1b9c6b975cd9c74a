/**
 * The request: guide 000 (section 5.4) sends `{"workflow_id": "..."}`; `input` (an object handed to the
 * automation service, stored on the job) is optional. An optional `Idempotency-Key` header makes a retried
 * request return the job the first one created instead of starting another.
 */
import { badRequest } from "../_shared/errors.ts";
import { z } from "../_shared/validation.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
const INPUT_MAX_BYTES = 64 * 1024;

export const automationRequest = z.object({
  workflow_id: z.string({ required_error: "is required", invalid_type_error: "must be a string" })
    .uuid("must be a UUID: the id of one of your automation workflows"),
  input: z.record(z.unknown(), { invalid_type_error: "must be a JSON object" })
    .refine((input) => JSON.stringify(input).length <= INPUT_MAX_BYTES, `must be at most ${INPUT_MAX_BYTES} bytes`)
    .optional(),
}, { invalid_type_error: "must be a JSON object" }).strict();

export type AutomationRequest = z.infer<typeof automationRequest>;

/** The header's value, or undefined when absent; 400 naming the header when it is malformed. */
export function idempotencyKey(req: Request): string | undefined {
  const value = req.headers.get(IDEMPOTENCY_HEADER);
  if (value === null) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) {
    const message = "must be 1 to 255 visible ASCII characters (a UUID is a good key)";
    throw badRequest("invalid_request", `Invalid request: ${IDEMPOTENCY_HEADER}: ${message}`, {
      fields: [{ field: IDEMPOTENCY_HEADER, message }],
    });
  }
  return value;
}
