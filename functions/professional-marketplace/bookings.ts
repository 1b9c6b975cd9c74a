/**
 * Bookings and reviews, written as the caller. Who may make which change is decided by the database
 * (migration 20261201400100): the professional confirms and completes, either party cancels, a review needs the
 * caller's completed booking. Its refusals become answers here: 42501 -> 403, 23514 -> 409.
 */
import type { SignedInUser } from "../_shared/auth.ts";
import { becomeServiceRole, type Database, sqlState } from "../_shared/db.ts";
import { HttpError } from "../_shared/errors.ts";

const BOOKING_COLUMNS = [
  "id",
  "professional_id",
  "client_id",
  "document_id",
  "status",
  "scheduled_at",
  "duration_minutes",
  "price_cents",
  "currency",
  "notes",
  "created_at",
] as const;

const TARGET = { confirm_booking: "confirmed", complete_booking: "completed", cancel_booking: "cancelled" } as const;
export type Transition = keyof typeof TARGET;

export interface BookingRequest {
  professional_id: string;
  scheduled_at?: string;
  duration_minutes?: number;
  document_id?: string;
  notes?: string;
}

/** A requested booking; its price (the listing's hourly rate for the duration) is set by the backend. */
export async function requestBooking(db: Database, user: SignedInUser, input: BookingRequest) {
  return await refusalsAsAnswers(() =>
    db.asCaller(user, async (tx) => {
      const [listing] = await tx`
        select hourly_rate_cents, currency from public.professionals
        where id = ${input.professional_id} and is_verified and is_active`;
      if (!listing) {
        throw new HttpError(404, "listing_not_found", "No verified, active listing has this professional_id");
      }
      const fields = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
      const [booking] = await tx`
        insert into public.marketplace_bookings ${tx({ ...fields, client_id: user.userId })}
        returning id`;
      const price = listing.hourly_rate_cents !== null && input.duration_minutes
        ? Math.round(listing.hourly_rate_cents * input.duration_minutes / 60)
        : null;
      // Users may not write prices: the rest of this transaction is the backend's.
      await becomeServiceRole(tx);
      const [row] = await tx`
        update public.marketplace_bookings set price_cents = ${price}, currency = ${listing.currency}
        where id = ${booking.id} returning ${tx(BOOKING_COLUMNS)}`;
      return row;
    })
  );
}

export async function changeBooking(db: Database, user: SignedInUser, bookingId: string, action: Transition) {
  const rows = await refusalsAsAnswers(() =>
    db.asCaller(user, (tx) =>
      tx`
        update public.marketplace_bookings set status = ${TARGET[action]} where id = ${bookingId}
        returning ${tx(BOOKING_COLUMNS)}`)
  );
  if (rows.length === 0) throw new HttpError(404, "booking_not_found", "None of your bookings has this booking_id");
  return rows[0];
}

export async function reviewBooking(
  db: Database,
  user: SignedInUser,
  input: { booking_id: string; rating: number; comment?: string },
) {
  return await refusalsAsAnswers(() =>
    db.asCaller(user, async (tx) => {
      const [booking] = await tx`
        select professional_id from public.marketplace_bookings where id = ${input.booking_id}`;
      if (!booking) throw new HttpError(404, "booking_not_found", "None of your bookings has this booking_id");
      const [review] = await tx`
        insert into public.professional_reviews (professional_id, booking_id, reviewer_id, rating, comment)
        values (${booking.professional_id}, ${input.booking_id}, ${user.userId}, ${input.rating},
                ${input.comment ?? null})
        returning id, professional_id, booking_id, rating, comment, created_at`;
      return review;
    })
  );
}

export async function myBookings(db: Database, user: SignedInUser) {
  return await db.asCaller(user, (tx) =>
    tx`
      select ${tx(BOOKING_COLUMNS)} from public.marketplace_bookings
      order by created_at desc limit 100`);
}

async function refusalsAsAnswers<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const state = sqlState(error);
    const message = (error as Error).message;
    if (state === "42501") {
      const rls = /row-level security/.test(message);
      throw new HttpError(
        403,
        rls ? "not_allowed" : "not_your_transition",
        rls ? "This booking or listing is not open to you" : `${message}: the professional confirms and completes`,
      );
    }
    if (state === "23514") throw new HttpError(409, "not_allowed_now", message);
    if (state === "23505") {
      // One review per booking, and one per client and listing (migration 20261207144353): a returning client
      // edits the review they wrote.
      throw new HttpError(409, "already_reviewed", "You have reviewed this professional already; edit that review");
    }
    throw error;
  }
}
