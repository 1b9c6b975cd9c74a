/**
 * The e-mail that tells an invitee about their invitation, sent after the invitation is committed. It is a
 * courtesy: the invitation stands whether or not the e-mail goes out (the invitee also finds it with
 * list_invitations), so a provider's failure is reported in the answer (`email`) and logged, never a failed invite.
 * Sent only when an e-mail provider is configured (SENDGRID_API_KEY or RESEND_API_KEY) and a sender is set
 * (INVITATION_EMAIL_FROM, else REMINDER_EMAIL_FROM); FRONTEND_URL, when set, gives the link to the app.
 *
 * The e-mail goes to an address the inviter chose, so what the inviter wrote is kept out of the subject (always
 * the same) and appears once in the body, on one line, at most 60 characters, quoted as the vault's name. Each
 * e-mail is counted in the inviter's daily e-mail budget before it is sent (`over_budget` when it is spent).
 */
import type { Database } from "../_shared/db.ts";
import { type Env, envInt, envString } from "../_shared/env.ts";
import type { Logger } from "../_shared/log.ts";
import { emailConfigured, sendEmail } from "../_shared/messaging/email.ts";
import { ChannelFailure } from "../_shared/messaging/failure.ts";
import { reserveSpend, settleSpend, SpendBudgetExceeded } from "../_shared/spend.ts";

export type InvitationEmail = "sent" | "not_configured" | "failed" | "over_budget";

export const INVITATION_SUBJECT = "You are invited to a family vault";
export const VAULT_NAME_IN_EMAIL = 60;

export interface Invitation {
  id: string;
  email: string;
  role: string;
  expires_at: Date;
}

export async function emailInvitation(
  env: Env,
  log: Logger,
  invitation: Invitation,
  vaultName: string,
  db: Database,
  inviterId: string,
): Promise<InvitationEmail> {
  const from = envString(env, "INVITATION_EMAIL_FROM") ?? envString(env, "REMINDER_EMAIL_FROM");
  if (!from || !emailConfigured(env)) return "not_configured";
  const link = envString(env, "FRONTEND_URL");
  // The vault's name is the inviter's text: one line, short, and only in the body.
  const name = [...oneLine(vaultName)].slice(0, VAULT_NAME_IN_EMAIL).join("");
  let reservation;
  try {
    reservation = await reserveSpend(db, inviterId, "emails", 1, "family-vault");
  } catch (error) {
    if (!(error instanceof SpendBudgetExceeded)) throw error;
    log.warn("invitation e-mail not sent: the inviter's daily e-mail budget is spent", {
      invitation_id: invitation.id,
    });
    return "over_budget";
  }
  const lines = [
    `You are invited to the family vault "${name}" as ${invitation.role}.`,
    "",
    `Sign in with this e-mail address to accept it${link ? `: ${link.replace(/\/+$/, "")}/` : "."}`,
    `The invitation expires on ${invitation.expires_at.toISOString().slice(0, 10)}.`,
  ];
  try {
    await sendEmail(env, {
      from,
      to: invitation.email,
      subject: INVITATION_SUBJECT,
      text: lines.join("\n"),
      idempotencyKey: `family-invitation-${invitation.id}`,
    }, envInt(env, "INVITATION_EMAIL_TIMEOUT_MS", 5000, 100, 30_000));
    return "sent";
  } catch (error) {
    if (!(error instanceof ChannelFailure)) throw error;
    await settleSpend(db, reservation, 0);
    log.warn("invitation e-mail not sent", { invitation_id: invitation.id, error: error.message });
    return "failed";
  }
}

function oneLine(text: string): string {
  return [...text].map((char) => (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? " " : char)).join("")
    .replace(/ +/g, " ").trim();
}
