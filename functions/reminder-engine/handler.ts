/**
 * reminder-engine: sends the reminders that are due (guide 002), by e-mail (SendGrid or Resend), SMS (Twilio) or
 * push (FCM HTTP v1). Run by the program's schedule (function.json's "schedule") and, on demand, by the backend:
 * `POST /functions/v1/reminder-engine` with the service-role key and an optional `{"batch_size": n}`; users are
 * refused (403). Answers the run's report: claimed, sent, retrying, released, failed (each with its reason).
 */
import { authenticate } from "../_shared/auth.ts";
import { createDatabase } from "../_shared/db.ts";
import type { Env } from "../_shared/env.ts";
import { createPublicFunction, type EdgeFunction } from "../_shared/function.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { requireServiceRole } from "../_shared/service_role.ts";
import { readJsonBody, validate, z } from "../_shared/validation.ts";
import { GoogleTokenSource } from "./channels/google_oauth.ts";
import { engineSettings, runOnce } from "./engine.ts";

export const NAME = "reminder-engine";

const RunRequest = z.object({
  batch_size: z.number({ invalid_type_error: "must be a number" }).int("must be a whole number")
    .min(1, "must be at least 1").max(500, "must be at most 500").optional(),
}, { invalid_type_error: "must be a JSON object" }).strict();

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  const tokens = new GoogleTokenSource();
  return createPublicFunction({ name: NAME, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    requireServiceRole(await authenticate(req, env), NAME);
    const text = await req.clone().text();
    const body = text.trim() === "" ? {} : validate(await readJsonBody(req), RunRequest);
    const settings = engineSettings(env, body.batch_size);
    const report = await runOnce(env, db, tokens, settings, ctx.log);
    const durationMs = Math.round(performance.now() - ctx.startedAt);
    ctx.log.info("reminder run finished", {
      claimed: report.claimed,
      sent: report.sent,
      retrying: report.retrying,
      released: report.released,
      over_budget: report.over_budget,
      failed: report.failed.length,
    });
    return jsonResponse({ ...report, duration_ms: durationMs });
  });
}
