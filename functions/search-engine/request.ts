/** The search request, validated; every problem names its field. */
import { z } from "../_shared/validation.ts";

export const MAX_PAGE_SIZE = 50;
export const MAX_PAGE = 20;

const timestamp = z.string({ invalid_type_error: "must be a date or time" })
  .refine((value) => !Number.isNaN(Date.parse(value)), "must be an ISO date or time, e.g. 2026-01-31");

export const SearchRequest = z.object({
  query: z.string({ required_error: "is required", invalid_type_error: "must be a string" })
    .trim().min(1, "must not be empty").max(500, "must be at most 500 characters"),
  filters: z.object({
    types: z.array(z.string().trim().toLowerCase().regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/, "must be MIME types"), {
      invalid_type_error: "must be a list of MIME types",
    }).min(1, "must not be empty").max(20, "must hold at most 20 types").optional(),
    tags: z.array(z.string().trim().min(1, "must not be empty").max(50, "must be at most 50 characters"), {
      invalid_type_error: "must be a list of strings",
    }).min(1, "must not be empty").max(20, "must hold at most 20 tags").optional(),
    created_from: timestamp.optional(),
    created_to: timestamp.optional(),
  }, { invalid_type_error: "must be an object" }).strict("has unknown fields").optional(),
  page: z.number({ invalid_type_error: "must be a number" }).int("must be a whole number")
    .min(1, "must be at least 1").max(MAX_PAGE, `must be at most ${MAX_PAGE}`).optional().default(1),
  page_size: z.number({ invalid_type_error: "must be a number" }).int("must be a whole number")
    .min(1, "must be at least 1").max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`).optional().default(10),
}, { invalid_type_error: "must be a JSON object" }).strict("has unknown fields");

export type SearchRequest = z.infer<typeof SearchRequest>;
