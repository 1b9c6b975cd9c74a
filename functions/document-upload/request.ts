/** The two requests of document-upload, validated; every problem names its field. */
import { z } from "../_shared/validation.ts";

// Names Storage and every operating system accept: no folders, no control characters, not "." or "..".
// deno-lint-ignore no-control-regex -- control characters are exactly what the name must not hold
const FILE_NAME = /^(?!\.{1,2}$)[^\/\\\u0000-\u001f\u007f]{1,255}$/;

export const CreateUpload = z.object({
  file_name: z.string({ required_error: "is required", invalid_type_error: "must be a string" })
    .trim()
    .regex(FILE_NAME, "must be 1-255 characters without / \\ or control characters"),
  mime_type: z.string({ required_error: "is required", invalid_type_error: "must be a string" })
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/, "must be a MIME type such as application/pdf"),
  file_size: z.number({ required_error: "is required", invalid_type_error: "must be a number of bytes" })
    .int("must be a whole number of bytes")
    .positive("must be more than 0 bytes"),
  title: z.string({ invalid_type_error: "must be a string" }).trim().min(1, "must not be empty")
    .max(500, "must be at most 500 characters").optional(),
  description: z.string({ invalid_type_error: "must be a string" }).max(5000, "must be at most 5000 characters")
    .optional(),
  category: z.string({ invalid_type_error: "must be a string" }).trim().max(100, "must be at most 100 characters")
    .optional(),
  tags: z.array(
    z.string({ invalid_type_error: "must be strings" }).trim().min(1, "must not be empty").max(
      50,
      "must be at most 50 characters",
    ),
    { invalid_type_error: "must be a list of strings" },
  ).max(20, "must hold at most 20 tags").optional(),
  expires_on: z.string({ invalid_type_error: "must be a date" }).regex(
    /^\d{4}-\d{2}-\d{2}$/,
    "must be a date, YYYY-MM-DD",
  )
    .optional(),
  sha256: z.string({ invalid_type_error: "must be a string" }).trim().toLowerCase()
    .regex(/^[0-9a-f]{64}$/, "must be the file's SHA-256 in hex (64 characters)").optional(),
}, { invalid_type_error: "must be a JSON object" }).strict("has unknown fields");

export const ConfirmUpload = z.object({
  document_id: z.string({ invalid_type_error: "must be a string (a document's UUID)" })
    .uuid("must be a UUID (the id document-upload returned)"),
}, { invalid_type_error: "must be a JSON object" }).strict("has unknown fields");

export type CreateUpload = z.infer<typeof CreateUpload>;
export type ConfirmUpload = z.infer<typeof ConfirmUpload>;
