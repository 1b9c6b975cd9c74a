/**
 * professional-marketplace (guide 002): the directory of professionals, bookings and reviews.
 *
 *   GET  ?profession=&q=&language=&limit=&offset=    the directory: verified, active listings (anon key too)
 *   GET  ?view=my_bookings                           the caller's bookings, as client and as professional
 *   POST {"action": "create_listing" | "update_listing", ...listing fields}
 *   POST {"action": "request_booking", "professional_id", "scheduled_at"?, "duration_minutes"?, "notes"?, ...}
 *   POST {"action": "confirm_booking" | "complete_booking" | "cancel_booking", "booking_id"}
 *   POST {"action": "review", "booking_id", "rating", "comment"?}
 *
 * Every rule is the database's (row-level security, column grants, and the triggers of migrations
 * 20261201400100 and 20261201400200): the function writes as the caller, so it cannot grant what a direct
 * PostgREST call could not. Verification is the backend's alone: no request can set it, and changing a verified
 * listing's name or profession drops it. Signed-in requests count against the tier's hourly budget.
 */
import { authenticate, requireSignedInUser } from "../_shared/auth.ts";
import { createDatabase, type Database } from "../_shared/db.ts";
import type { Env } from "../_shared/env.ts";
import { createPublicFunction, type EdgeFunction, type RequestContext } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { parseBody, validate } from "../_shared/validation.ts";
import { changeBooking, myBookings, requestBooking, reviewBooking } from "./bookings.ts";
import { createDirectoryCache, type DirectoryCache } from "./directory_cache.ts";
import { createListing, searchListings, updateListing } from "./listings.ts";
import { marketplaceRequest, searchQuery } from "./requests.ts";

export const NAME = "professional-marketplace";

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  const directory = createDirectoryCache(env);
  return createPublicFunction(
    { name: NAME, env, methods: ["GET", "POST"], resources: [db] },
    (req, ctx) => req.method === "GET" ? browse(req, ctx, db, directory) : act(req, ctx, db),
  );
}

async function browse(req: Request, ctx: RequestContext, db: Database, directory: DirectoryCache): Promise<Response> {
  const caller = await authenticate(req, ctx.env);
  ctx.measure.userId = caller.userId ?? undefined; // the performance row's tier is the caller's
  const query = validate(Object.fromEntries(new URL(req.url).searchParams), searchQuery);
  if (query.view === "my_bookings") {
    const user = requireSignedInUser(caller);
    return jsonResponse({ bookings: await myBookings(db, user) });
  }
  const key = JSON.stringify([query.profession, query.q, query.language, query.limit, query.offset]);
  return jsonResponse({ listings: await directory.get(key, () => searchListings(db, caller, query)) });
}

async function act(req: Request, ctx: RequestContext, db: Database): Promise<Response> {
  const user = requireSignedInUser(await authenticate(req, ctx.env));
  ctx.measure.userId = user.userId;
  const limit = await enforceRateLimit(db, user, NAME);
  const input = await parseBody(req, marketplaceRequest);
  const headers = rateLimitHeaders(limit);
  const log = ctx.log.child({ user_id: user.userId, action: input.action });
  switch (input.action) {
    case "create_listing": {
      const { action: _, ...fields } = input;
      return jsonResponse({ listing: await createListing(db, user, fields) }, 201, headers);
    }
    case "update_listing": {
      const { action: _, ...fields } = input;
      const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      return jsonResponse({ listing: await updateListing(db, user, defined) }, 200, headers);
    }
    case "request_booking": {
      const { action: _, ...booking } = input;
      const created = await requestBooking(db, user, booking);
      log.info("booking requested", { booking_id: created.id });
      return jsonResponse({ booking: created }, 201, headers);
    }
    case "confirm_booking":
    case "complete_booking":
    case "cancel_booking": {
      const booking = await changeBooking(db, user, input.booking_id, input.action);
      log.info("booking changed", { booking_id: booking.id, status: booking.status });
      return jsonResponse({ booking }, 200, headers);
    }
    case "review":
      return jsonResponse({ review: await reviewBooking(db, user, input) }, 201, headers);
  }
}
