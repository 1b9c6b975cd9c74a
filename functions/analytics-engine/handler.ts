/**
 * analytics-engine (guide 002): rolls analytics_events and documents up into analytics_data, keeps the coming
 * years' partitions created ahead of time, and answers a user's insights.
 *
 *   service-role key:  rollup   (the program's schedule, function.json; or the backend on demand)
 *   a user's token:    insights (rate-limited per tier like every user function)
 * A user asking for a rollup is refused (403); the service role has no insights of its own (400).
 */
import { authenticate, requireSignedInUser } from "../_shared/auth.ts";
import { createDatabase, type Database } from "../_shared/db.ts";
import type { Env } from "../_shared/env.ts";
import { badRequest } from "../_shared/errors.ts";
import { createPublicFunction, type EdgeFunction, type RequestContext } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { requireServiceRole } from "../_shared/service_role.ts";
import { readJsonBody, validate } from "../_shared/validation.ts";
import { insights } from "./insights.ts";
import { InsightsRequest, RollupRequest } from "./request.ts";
import { rollup } from "./rollup.ts";

export const NAME = "analytics-engine";

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createPublicFunction({ name: NAME, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    const caller = await authenticate(req, env);
    ctx.measure.userId = caller.userId ?? undefined; // the performance row's tier is the caller's
    const body = await bodyOf(req);
    const action = (body as { action?: unknown }).action ?? (caller.role === "service_role" ? "rollup" : "insights");
    if (action === "rollup") return await runRollup(ctx, db, caller, body);
    if (action === "insights") return await answerInsights(ctx, db, caller, body);
    throw badRequest("invalid_request", "Invalid request: action: must be rollup or insights", {
      fields: [{ field: "action", message: "must be rollup or insights" }],
    });
  });
}

async function bodyOf(req: Request): Promise<Record<string, unknown>> {
  if ((await req.clone().text()).trim() === "") return {};
  const body = await readJsonBody(req);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("invalid_request", "Invalid request: body: must be a JSON object");
  }
  return body as Record<string, unknown>;
}

async function runRollup(
  ctx: RequestContext,
  db: Database,
  caller: Awaited<ReturnType<typeof authenticate>>,
  body: Record<string, unknown>,
): Promise<Response> {
  requireServiceRole(caller, `${NAME}'s rollup`);
  const request = validate({ action: "rollup", ...body }, RollupRequest);
  const report = await rollup(db, request);
  ctx.log.info("analytics rollup finished", {
    partitions_created: report.partitions_created,
    days: report.days.length,
    rows: report.days.reduce((sum, day) => sum + day.rows, 0),
  });
  return jsonResponse(report);
}

async function answerInsights(
  _ctx: RequestContext,
  db: Database,
  caller: Awaited<ReturnType<typeof authenticate>>,
  body: Record<string, unknown>,
): Promise<Response> {
  if (caller.role === "service_role") {
    throw badRequest("insights_need_a_user", "Insights are a signed-in user's; call with the user's access token");
  }
  const user = requireSignedInUser(caller);
  const limit = await enforceRateLimit(db, user, NAME);
  const request = validate({ action: "insights", ...body }, InsightsRequest);
  const answer = await db.asCaller(user, (tx) => insights(tx, user.userId, request));
  return jsonResponse(answer, 200, rateLimitHeaders(limit));
}
