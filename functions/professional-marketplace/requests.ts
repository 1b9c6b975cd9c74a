/**
 * The marketplace's requests. Listings: the columns a professional may write (public.professionals' column
 * grants; is_verified, rating and review_count are the backend's, and a request naming them is refused). Bookings
 * and reviews: what the client chooses; the state and the price are decided by the database and the backend.
 */
import { z } from "../_shared/validation.ts";

const text = (max: number) =>
  z.string({ invalid_type_error: "must be a string" }).trim().max(max, `must be at most ${max} characters`);
const required = (max: number) => text(max).min(1, "must not be empty");
const uuid = (what: string) =>
  z.string({ required_error: "is required", invalid_type_error: "must be a string" }).uuid(
    `must be the UUID of ${what}`,
  );
const list = (max: number) => z.array(required(100)).max(max, `must have at most ${max} items`);

const listingFields = {
  display_name: required(200),
  profession: required(100),
  bio: text(5000).optional(),
  specialties: list(20).optional(),
  languages: list(20).optional(),
  hourly_rate_cents: z.number().int("must be a whole number").min(0).max(10_000_000).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be a three-letter ISO currency code").optional(),
  is_active: z.boolean({ invalid_type_error: "must be true or false" }).optional(),
};

export const marketplaceRequest = z.discriminatedUnion("action", [
  z.object({ action: z.literal("create_listing"), ...listingFields }).strict(),
  z.object({
    action: z.literal("update_listing"),
    ...Object.fromEntries(Object.entries(listingFields).map(([key, schema]) => [key, schema.optional()])),
  }).strict(),
  z.object({
    action: z.literal("request_booking"),
    professional_id: uuid("a verified listing"),
    scheduled_at: z.string().datetime({ offset: true, message: "must be an ISO 8601 time with offset" }).optional(),
    duration_minutes: z.number().int("must be a whole number").min(15).max(8 * 60).optional(),
    document_id: uuid("one of your documents").optional(),
    notes: text(2000).optional(),
  }).strict(),
  z.object({
    action: z.enum(["confirm_booking", "complete_booking", "cancel_booking"]),
    booking_id: uuid("one of your bookings"),
  }).strict(),
  z.object({
    action: z.literal("review"),
    booking_id: uuid("one of your completed bookings"),
    rating: z.number().int("must be a whole number").min(1, "must be 1 to 5").max(5, "must be 1 to 5"),
    comment: text(2000).optional(),
  }).strict(),
], {
  errorMap: (issue, ctx) =>
    issue.code === "invalid_union_discriminator"
      ? {
        message: "must be one of create_listing, update_listing, request_booking, confirm_booking, complete_booking, " +
          "cancel_booking, review",
      }
      : { message: ctx.defaultError },
});

export type MarketplaceRequest = z.infer<typeof marketplaceRequest>;

/** GET ?profession=&q=&language=&limit=&offset= : the public directory's search. */
export const searchQuery = z.object({
  profession: required(100).optional(),
  q: required(200).optional(),
  language: required(50).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
  view: z.enum(["directory", "my_bookings"]).default("directory"),
}).strict();
