/**
 * The request body, as guide 000 (section 5.4) sends it:
 *   {"title": "Test Ticket", "description": "Testing ticket creation", "priority": "medium", "category": "incident"}
 * The allowed priorities and categories are public.support_tickets' check constraints (migration
 * 20251101000400); a test compares these lists with the database's. Omitted, they take the table's defaults.
 */
import { z } from "../_shared/validation.ts";

export const PRIORITIES = ["low", "medium", "high", "critical"] as const;
export const CATEGORIES = ["incident", "service_request", "problem", "change", "question"] as const;
export const TITLE_MAX = 300;
export const DESCRIPTION_MAX = 10_000;

const oneOf = (values: readonly string[]) => ({ message: `must be one of ${values.join(", ")}` });

export const ticketRequest = z.object({
  title: z.string({ required_error: "is required", invalid_type_error: "must be a string" })
    .trim()
    .min(1, "must not be empty")
    .max(TITLE_MAX, `must be at most ${TITLE_MAX} characters`)
    // The title becomes the e-mail's subject: one line, no control characters.
    // deno-lint-ignore no-control-regex
    .refine((title) => !/[\u0000-\u001f\u007f]/.test(title), "must be a single line without control characters"),
  description: z.string({ invalid_type_error: "must be a string" })
    .trim()
    .max(DESCRIPTION_MAX, `must be at most ${DESCRIPTION_MAX} characters`)
    .optional(),
  priority: z.enum(PRIORITIES, { errorMap: () => oneOf(PRIORITIES) }).optional(),
  category: z.enum(CATEGORIES, { errorMap: () => oneOf(CATEGORIES) }).optional(),
}, { invalid_type_error: "must be a JSON object" }).strict();

export type TicketRequest = z.infer<typeof ticketRequest>;
