/**
 * The directory. Search runs as the caller, anon included: row-level security shows verified, active listings
 * to everyone (and a professional their own), so the function cannot show more than the policy allows.
 */
import type { Caller, SignedInUser } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { HttpError } from "../_shared/errors.ts";

export const LISTING_COLUMNS = [
  "id",
  "display_name",
  "profession",
  "bio",
  "specialties",
  "languages",
  "hourly_rate_cents",
  "currency",
  "is_active",
  "is_verified",
  "rating",
  "review_count",
] as const;

export interface Search {
  profession?: string;
  q?: string;
  language?: string;
  limit: number;
  offset: number;
}

export async function searchListings(db: Database, caller: Caller, search: Search) {
  return await db.asCaller(caller, (tx) =>
    tx`
      select ${tx(LISTING_COLUMNS)} from public.professionals
      where is_verified and is_active
        ${search.profession ? tx`and profession = ${search.profession}` : tx``}
        ${search.language ? tx`and ${search.language} = any (languages)` : tx``}
        ${
      search.q
        ? tx`and (display_name ilike ${"%" + escapeLike(search.q) + "%"} or bio ilike ${
          "%" + escapeLike(search.q) + "%"
        } or ${search.q} = any (specialties))`
        : tx``
    }
      order by rating_score desc nulls last, review_count desc, id
      limit ${search.limit} offset ${search.offset}`);
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function createListing(db: Database, caller: Caller, fields: Record<string, unknown>) {
  try {
    const [row] = await db.asCaller(
      caller,
      (tx) => tx`insert into public.professionals ${tx(fields)} returning ${tx(LISTING_COLUMNS)}`,
    );
    return row;
  } catch (error) {
    if ((error as { code?: string }).code === "23505") {
      throw new HttpError(409, "listing_exists", "You already have a listing; change it with update_listing");
    }
    throw error;
  }
}

/**
 * The database drops is_verified when the name or profession changes (migration 20261201400200). No WHERE: the
 * update policy lets a signed-in caller change only their own listing, and user_id is not readable
 * (20261207145205).
 */
export async function updateListing(db: Database, caller: SignedInUser, fields: Record<string, unknown>) {
  if (Object.keys(fields).length === 0) {
    throw new HttpError(400, "invalid_request", "Invalid request: body: name at least one field to change");
  }
  const rows = await db.asCaller(caller, (tx) =>
    tx`
      update public.professionals set ${tx(fields)}
      returning ${tx(LISTING_COLUMNS)}`);
  if (rows.length === 0) throw new HttpError(404, "listing_not_found", "You have no listing; create one first");
  return rows[0];
}
