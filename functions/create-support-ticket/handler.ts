/**
 * create-support-ticket: opens a ticket for the signed-in user (guide 000, section 5.4).
 *
 * POST {"title", "description"?, "priority"?, "category"?}  ->  201
 *   {"ticket": {id, ticket_number, title, description, priority, category, status, due_at, created_at},
 *    "notification": {"email": "sent" | "not_configured" | "failed"}}
 *
 * The ticket number and the due date (the SLA of its priority) come from the database's triggers (migration
 * 20251101001100), so the answer shows what the database decided. The row is written as the user (row-level
 * security applies); the e-mail to the support desk is sent after the row is committed, and its failure is
 * reported in the answer rather than losing the ticket. Rate limit: the tier's hourly budget for this function.
 */
import type { Database } from "../_shared/db.ts";
import { createDatabase } from "../_shared/db.ts";
import type { Env } from "../_shared/env.ts";
import { createUserFunction, type EdgeFunction, type UserRequestContext } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { parseBody } from "../_shared/validation.ts";
import { type NewTicket, notifySupport } from "./notify.ts";
import { reserveSpend, SpendBudgetExceeded } from "../_shared/spend.ts";
import { type TicketRequest, ticketRequest } from "./request.ts";

export const NAME = "create-support-ticket";

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction(
    { name: NAME, env, methods: ["POST"], resources: [db] },
    (req, ctx) => openTicket(req, ctx, db),
  );
}

async function openTicket(req: Request, ctx: UserRequestContext, db: Database): Promise<Response> {
  // Every request counts against the hourly budget, a malformed one too (the convention of all functions).
  const limit = await enforceRateLimit(db, ctx.user, NAME);
  const input = await parseBody(req, ticketRequest);
  const ticket = await insertTicket(db, ctx, input);
  ctx.log.info("ticket created", { ticket_id: ticket.id, ticket_number: ticket.ticket_number });
  const email = await notifySupport(
    ctx.env,
    ticket,
    { userId: ctx.user.userId, email: typeof ctx.user.claims.email === "string" ? ctx.user.claims.email : undefined },
    ctx.log,
    () => withinEmailBudget(db, ctx.user.userId),
  );
  return jsonResponse({ ticket, notification: { email } }, 201, rateLimitHeaders(limit));
}

/** The ticket, written as the caller (exported for the load test's bare handler, which runs the same insert). */
export async function insertTicket(
  db: Database,
  ctx: Pick<UserRequestContext, "user">,
  input: TicketRequest,
): Promise<NewTicket> {
  // Only the fields sent: the table's defaults (priority medium, category incident) apply to the others.
  const fields = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  const [ticket] = await db.asCaller(ctx.user, (tx) =>
    tx`
      insert into public.support_tickets ${tx(fields)}
      returning id, ticket_number, title, description, priority, category, status, due_at, created_at`);
  return ticket as unknown as NewTicket;
}

/** One e-mail to the desk, reserved in the requester's daily e-mail budget. */
async function withinEmailBudget(db: Database, userId: string): Promise<boolean> {
  try {
    await reserveSpend(db, userId, "emails", 1, NAME);
    return true;
  } catch (error) {
    if (error instanceof SpendBudgetExceeded) return false;
    throw error;
  }
}
