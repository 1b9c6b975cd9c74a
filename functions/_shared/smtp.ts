/**
 * Sending e-mail over SMTP with nodemailer, configured from the environment:
 *
 *   SMTP_HOST        the relay; unset means e-mail is off (callers then skip sending)
 *   SMTP_PORT        default 465
 *   SMTP_USER/PASS   credentials, sent only inside TLS unless SMTP_TLS=none
 *   SMTP_TLS         implicit (TLS from the first byte; the default on ports 465 and 2465),
 *                    starttls (plain connection upgraded with STARTTLS, which is required: a server that does
 *                    not offer it gets no credentials and no mail; the default on other ports),
 *                    none (no TLS at all: only for a relay on a private network, or a local test server)
 *   SMTP_TIMEOUT_MS  per connection, greeting and socket inactivity, and for the whole send; default 10000
 *
 * Supabase's hosted edge runtime refuses outgoing connections to ports 25 and 587 ("Other limits &
 * restrictions" in https://supabase.com/docs/guides/functions/limits). Use 465 (implicit TLS; most providers
 * offer it), or a provider's alternative port such as Amazon SES's 2465 (implicit) or 2587 (STARTTLS).
 */
// nodemailer ships no type declarations; SmtpTransport below types the little this module uses.
import nodemailer from "npm:nodemailer@10.6.0";
import { type Env, envInt, envString } from "./env.ts";
import { withTimeout } from "./timeout.ts";

export type SmtpTlsMode = "implicit" | "starttls" | "none";

export interface SmtpConfig {
  host: string;
  port: number;
  user?: string;
  pass?: string;
  tls: SmtpTlsMode;
  timeoutMs: number;
}

export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  replyTo?: string;
}

/** A setting that makes sending impossible; the message names the variable, never a value of a secret. */
export class SmtpConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SmtpConfigError";
  }
}

/** A send that failed; the message holds the failure's kind (code, SMTP reply code), not the server's text. */
export class SmtpSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SmtpSendError";
  }
}

interface SmtpTransport {
  sendMail(message: MailMessage): Promise<{ messageId?: string }>;
  close(): void;
}

const IMPLICIT_TLS_PORTS = new Set([465, 2465]);
const TLS_MODES: readonly SmtpTlsMode[] = ["implicit", "starttls", "none"];

/** The SMTP settings, or null when SMTP_HOST is unset (e-mail not configured). */
export function smtpConfig(env: Env): SmtpConfig | null {
  const host = envString(env, "SMTP_HOST");
  if (!host) return null;
  let port: number;
  let timeoutMs: number;
  try {
    port = envInt(env, "SMTP_PORT", 465, 1, 65535);
    timeoutMs = envInt(env, "SMTP_TIMEOUT_MS", 10_000, 100, 120_000);
  } catch (error) {
    throw new SmtpConfigError((error as Error).message);
  }
  const tlsSetting = envString(env, "SMTP_TLS")?.toLowerCase();
  if (tlsSetting && !TLS_MODES.includes(tlsSetting as SmtpTlsMode)) {
    throw new SmtpConfigError(`SMTP_TLS must be one of ${TLS_MODES.join(", ")} (got "${tlsSetting}")`);
  }
  const tls = (tlsSetting as SmtpTlsMode | undefined) ?? (IMPLICIT_TLS_PORTS.has(port) ? "implicit" : "starttls");
  const user = envString(env, "SMTP_USER");
  const pass = envString(env, "SMTP_PASS");
  if (Boolean(user) !== Boolean(pass)) {
    throw new SmtpConfigError("SMTP_USER and SMTP_PASS must be set together (or neither, for a relay without login)");
  }
  return { host, port, user, pass, tls, timeoutMs };
}

/** Sends one message; throws SmtpSendError when the relay cannot be reached, refuses, or is too slow. */
export async function sendMail(config: SmtpConfig, message: MailMessage): Promise<{ messageId?: string }> {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.tls === "implicit",
    requireTLS: config.tls === "starttls",
    ignoreTLS: config.tls === "none",
    auth: config.user ? { user: config.user, pass: config.pass } : undefined,
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
    // nodemailer would otherwise log the SMTP conversation, AUTH lines included.
    logger: false,
    debug: false,
  }) as SmtpTransport;
  try {
    return await withTimeout(transport.sendMail(message), config.timeoutMs);
  } catch (error) {
    throw new SmtpSendError(describeFailure(error, config));
  } finally {
    transport.close();
  }
}

function describeFailure(error: unknown, config: SmtpConfig): string {
  const where = `${config.host}:${config.port}`;
  if (error instanceof Error && error.name === "TimeoutError") return `SMTP ${where} did not finish within the timeout`;
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const kind = [typeof code === "string" ? code : "", typeof responseCode === "number" ? `reply ${responseCode}` : ""]
    .filter(Boolean).join(", ");
  if (code === "ETLS" || (code === "ESOCKET" && config.tls === "starttls")) {
    return `SMTP ${where} did not complete TLS (${kind || "no detail"}); check SMTP_TLS and SMTP_PORT`;
  }
  if (code === "EAUTH") return `SMTP ${where} refused the login (${kind}); check SMTP_USER and SMTP_PASS`;
  return `SMTP ${where} failed (${kind || "no detail"})`;
}
