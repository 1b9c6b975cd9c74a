/**
 * The e-mail that tells an invitee about their invitation, sent after the invitation is committed. It is a
 * courtesy: the invitation stands whether or not the e-mail goes out (the invitee also finds it with
 * list_invitations), so a provider's failure is reported in the answer (`email`) and logged, never a failed invite.
 * Sent only when an e-mail provider is configured (SENDGRID_API_KEY or RESEND_API_KEY) and a sender is set
 * (INVITATION_EMAIL_FROM, else REMINDER_EMAIL_FROM); FRONTEND_URL, when set, gives the link to the app.
 */
import { type Env, envInt, envString } from "../_shared/env.ts";
import type { Logger } from "../_shared/log.ts";
import { emailConfigured, sendEmail } from "../_shared/messaging/email.ts";
import { ChannelFailure } from "../_shared/messaging/failure.ts";

export type InvitationEmail = "sent" | "not_configured" | "failed";

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
): Promise<InvitationEmail> {
  const from = envString(env, "INVITATION_EMAIL_FROM") ?? envString(env, "REMINDER_EMAIL_FROM");
  if (!from || !emailConfigured(env)) return "not_configured";
  const link = envString(env, "FRONTEND_URL");
  // The vault's name is the inviter's text: no line breaks in a subject line, and kept short.
  const name = oneLine(vaultName).slice(0, 100);
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
      subject: `Invitation to the family vault "${name}"`,
      text: lines.join("\n"),
      idempotencyKey: `family-invitation-${invitation.id}`,
    }, envInt(env, "INVITATION_EMAIL_TIMEOUT_MS", 5000, 100, 30_000));
    return "sent";
  } catch (error) {
    if (!(error instanceof ChannelFailure)) throw error;
    log.warn("invitation e-mail not sent", { invitation_id: invitation.id, error: error.message });
    return "failed";
  }
}

function oneLine(text: string): string {
  return [...text].map((char) => (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? " " : char)).join("")
    .replace(/ +/g, " ").trim();
}
