/**
 * account-deletion: a signed-in user asks for their account to be erased.
 *
 * POST {"confirm": "delete my account"}  with a token from a sign-in at most 10 minutes old
 *   -> 202 {"status": "scheduled", "requested_at"}   (repeating it answers the same request)
 *   -> 401 reauthentication_required                 (the session is older: sign in again first)
 *
 * The request is recorded by private.request_account_deletion, which also blocks further sign-ins. The erasure
 * itself (subscriptions cancelled, every object and row removed) is done by the lifecycle job,
 * `ops account process-requests`, outside the edge runtime: it outlasts a function's time limit for a large
 * account, and a crash halfway is finished by its next run. docs/data.md says what goes and when.
 */
import { createDatabase, type Database } from "../_shared/db.ts";
import type { Env } from "../_shared/env.ts";
import { createUserFunction, type EdgeFunction, type UserRequestContext } from "../_shared/function.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { parseBody, z } from "../_shared/validation.ts";
import { requireFreshSession } from "./fresh_session.ts";

export const NAME = "account-deletion";
export const CONFIRMATION = "delete my account";

const DeletionRequest = z.object({
  confirm: z.literal(CONFIRMATION, {
    errorMap: () => ({ message: `must be exactly "${CONFIRMATION}"` }),
  }),
}, { invalid_type_error: "must be a JSON object" }).strict("has unknown fields");

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction(
    { name: NAME, env, methods: ["POST"], resources: [db] },
    (req, ctx) => requestDeletion(req, ctx, db),
  );
}

async function requestDeletion(req: Request, ctx: UserRequestContext, db: Database): Promise<Response> {
  requireFreshSession(ctx.user.claims);
  await parseBody(req, DeletionRequest);
  const [row] = await db.asCaller(
    ctx.user,
    (tx) => tx<{ requested_at: Date }[]>`select private.request_account_deletion() as requested_at`,
  );
  ctx.log.info("account deletion requested");
  return jsonResponse({ status: "scheduled", requested_at: row.requested_at }, 202);
}
