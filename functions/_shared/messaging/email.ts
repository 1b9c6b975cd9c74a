/**
 * E-mail through SendGrid's v3 Mail Send API or Resend's e-mails API (their public HTTP APIs):
 *
 *   SendGrid  POST ${SENDGRID_BASE_URL:-https://api.sendgrid.com}/v3/mail/send     Bearer SENDGRID_API_KEY
 *             {personalizations: [{to: [{email}]}], from: {email}, subject, content: [{type, value}]}
 *             202, empty body, the message id in X-Message-Id
 *   Resend    POST ${RESEND_BASE_URL:-https://api.resend.com}/emails               Bearer RESEND_API_KEY
 *             {from, to: [...], subject, text} + Idempotency-Key               200 {"id"}
 *
 * EMAIL_PROVIDER (or REMINDER_EMAIL_PROVIDER) picks one (sendgrid | resend); unset, SendGrid when its key is set,
 * else Resend. Resend gets the message's idempotency key, so a retry after a lost answer does not send twice.
 * Used by reminder-engine (reminders) and family-vault (invitations); each names its own sender setting.
 */
import { type Env, envString } from "../env.ts";
import { ChannelFailure, httpFailure, type Sent } from "./failure.ts";
import { callProvider, parseJson } from "./http.ts";
import { secureBase } from "./urls.ts";

export interface EmailMessage {
  /** The sender address, verified with the provider. */
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Stable per message: a retry of the same message carries the same key. */
  idempotencyKey: string;
}

export async function sendEmail(env: Env, message: EmailMessage, timeoutMs: number): Promise<Sent> {
  const provider = emailProvider(env);
  if (provider === "sendgrid") return await viaSendGrid(env, message.from, message, timeoutMs);
  return await viaResend(env, message.from, message, timeoutMs);
}

/** Whether an e-mail provider has its key (a function may then skip e-mail quietly instead of failing). */
export function emailConfigured(env: Env): boolean {
  return Boolean(envString(env, "SENDGRID_API_KEY") ?? envString(env, "RESEND_API_KEY"));
}

function emailProvider(env: Env): "sendgrid" | "resend" {
  const chosen = (envString(env, "EMAIL_PROVIDER") ?? envString(env, "REMINDER_EMAIL_PROVIDER"))?.toLowerCase();
  if (chosen === "sendgrid" || chosen === "resend") return chosen;
  if (chosen) throw new ChannelFailure("EMAIL_PROVIDER must be sendgrid or resend", true);
  if (envString(env, "SENDGRID_API_KEY")) return "sendgrid";
  if (envString(env, "RESEND_API_KEY")) return "resend";
  throw new ChannelFailure("e-mail is not configured: set SENDGRID_API_KEY or RESEND_API_KEY", true);
}

async function viaSendGrid(env: Env, from: string, message: EmailMessage, timeoutMs: number): Promise<Sent> {
  const key = envString(env, "SENDGRID_API_KEY");
  if (!key) throw new ChannelFailure("SendGrid is chosen but SENDGRID_API_KEY is not set", true);
  const base = secureBase(env, "SENDGRID_BASE_URL", "https://api.sendgrid.com");
  const answer = await callProvider("SendGrid", `${base}/v3/mail/send`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      personalizations: [{ to: [{ email: message.to }] }],
      from: { email: from },
      subject: message.subject,
      content: [{ type: "text/plain", value: message.text }],
    }),
  }, timeoutMs);
  if (answer.status !== 202 && answer.status !== 200) throw httpFailure("SendGrid", answer.status);
  return { provider: "sendgrid", messageId: answer.headers.get("x-message-id") };
}

async function viaResend(env: Env, from: string, message: EmailMessage, timeoutMs: number): Promise<Sent> {
  const key = envString(env, "RESEND_API_KEY");
  if (!key) throw new ChannelFailure("Resend is chosen but RESEND_API_KEY is not set", true);
  const base = secureBase(env, "RESEND_BASE_URL", "https://api.resend.com");
  const answer = await callProvider("Resend", `${base}/emails`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${key}`,
      "Content-Type": "application/json",
      "Idempotency-Key": message.idempotencyKey,
    },
    body: JSON.stringify({ from, to: [message.to], subject: message.subject, text: message.text }),
  }, timeoutMs);
  if (answer.status !== 200) {
    const name = (parseJson(answer.text) as { name?: unknown } | undefined)?.name;
    throw httpFailure("Resend", answer.status, typeof name === "string" ? name.slice(0, 60) : "");
  }
  const id = (parseJson(answer.text) as { id?: unknown } | undefined)?.id;
  return { provider: "resend", messageId: typeof id === "string" ? id : null };
}
