/**
 * The e-mail to the support desk about a new ticket. Sent when SMTP_HOST is set; SUPPORT_EMAIL_TO (the desk's
 * address) and SUPPORT_EMAIL_FROM (the sender the relay accepts) are then required. The SMTP settings are in
 * ../_shared/smtp.ts. A failed send never loses the ticket: the caller reports it in the answer instead.
 */
import { type Env, envString } from "../_shared/env.ts";
import type { Logger } from "../_shared/log.ts";
import { type MailMessage, sendMail, smtpConfig, SmtpConfigError } from "../_shared/smtp.ts";

/** sent, not_configured (SMTP_HOST unset), or failed (settings incomplete, relay unreachable or refusing). */
/** over_budget: the requester's daily e-mail budget is spent (the ticket stands; the desk sees it in its queue). */
export type EmailStatus = "sent" | "not_configured" | "failed" | "over_budget";

export interface NewTicket {
  id: string;
  ticket_number: string;
  title: string;
  description: string | null;
  priority: string;
  category: string;
  due_at: Date;
}

export interface Requester {
  userId: string;
  email?: string;
}

export function ticketEmail(ticket: NewTicket, requester: Requester, from: string, to: string): MailMessage {
  const lines = [
    `A new support ticket was opened.`,
    ``,
    `Ticket:      ${ticket.ticket_number}`,
    `Title:       ${ticket.title}`,
    `Priority:    ${ticket.priority}`,
    `Category:    ${ticket.category}`,
    `Due by:      ${ticket.due_at.toISOString()}`,
    `Requester:   ${requester.email ?? "(no e-mail on the account)"} (user ${requester.userId})`,
    `Ticket id:   ${ticket.id}`,
    ``,
    ticket.description ? ticket.description : "(no description)",
  ];
  return {
    from,
    to,
    // Replies from the desk go to the person who opened the ticket.
    replyTo: requester.email,
    subject: `[${ticket.ticket_number}] ${ticket.priority} ${ticket.category}: ${ticket.title}`,
    text: lines.join("\n"),
  };
}

export async function notifySupport(
  env: Env,
  ticket: NewTicket,
  requester: Requester,
  log: Logger,
  /** Counts the e-mail in the requester's daily budget before it is sent; false when the budget is spent. */
  withinBudget: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<EmailStatus> {
  try {
    const config = smtpConfig(env);
    if (!config) return "not_configured";
    const to = envString(env, "SUPPORT_EMAIL_TO");
    const from = envString(env, "SUPPORT_EMAIL_FROM");
    if (!to || !from) {
      throw new SmtpConfigError("SMTP_HOST is set but SUPPORT_EMAIL_TO or SUPPORT_EMAIL_FROM is not; set both");
    }
    if (!(await withinBudget())) return "over_budget";
    await sendMail(config, ticketEmail(ticket, requester, from, to));
    log.info("support notified by e-mail", { ticket_number: ticket.ticket_number });
    return "sent";
  } catch (error) {
    // Our own error types carry no server text and no secret; anything else is logged through the redactor.
    log.error("support e-mail not sent", { ticket_number: ticket.ticket_number, error });
    return "failed";
  }
}
