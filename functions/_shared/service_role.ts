/**
 * For functions the backend runs (a schedule, an operator): the caller must hold the service-role key. Supabase's
 * scheduler and operators call them with `Authorization: Bearer <service-role key>` (a JWT with role service_role,
 * verified by authenticate() like any token). Users are refused with 403, so a user cannot make a run happen.
 */
import type { Caller } from "./auth.ts";
import { HttpError } from "./errors.ts";

export function requireServiceRole(caller: Caller, name: string): void {
  if (caller.role === "service_role") return;
  throw new HttpError(
    403,
    "service_role_required",
    `${name} runs on its schedule or for the backend; call it with the service-role key, not a user's token`,
  );
}
