/**
 * A real SMTP server on loopback (npm:smtp-server, the server side of nodemailer's project) that keeps what it
 * receives, so a test reads the mail a function sent. It offers no STARTTLS (it has no certificate): a client
 * that insists on TLS must give up before sending credentials, which `logins` lets a test check.
 * `mode` makes it fail: "reject" refuses every message (554), "refuse_login" refuses the credentials (535).
 */
import { SMTPServer } from "npm:smtp-server@3.21.6";

export const SMTP_TEST_USER = "support-mailer";
export const SMTP_TEST_PASSWORD = "smtp-test-password-7c1d9e";

export type SmtpMode = "ok" | "reject" | "refuse_login";

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent: headers, blank line, body. */
  raw: string;
  header(name: string): string | undefined;
}

export interface FakeSmtp {
  port: number;
  mode: SmtpMode;
  readonly messages: ReceivedMail[];
  /** Usernames that tried to log in (whatever the outcome). */
  readonly logins: string[];
  /** SMTP_* settings for a handler's env (plain SMTP on loopback, so SMTP_TLS=none). */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const messages: ReceivedMail[] = [];
  const logins: string[] = [];
  const fake = { mode: "ok" as SmtpMode };
  const server = new SMTPServer({
    name: "smtp.fake.test",
    logger: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, callback) {
      logins.push(auth.username ?? "");
      if (fake.mode === "refuse_login" || auth.username !== SMTP_TEST_USER || auth.password !== SMTP_TEST_PASSWORD) {
        return callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      stream.on("end", () => {
        if (fake.mode === "reject") {
          return callback(Object.assign(new Error("Message rejected by policy"), { responseCode: 554 }));
        }
        const raw = new TextDecoder().decode(concat(chunks));
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          header: (name) => headerOf(raw, name),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return Object.assign(fake, {
    port,
    messages,
    logins,
    env: () => ({
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(port),
      SMTP_USER: SMTP_TEST_USER,
      SMTP_PASS: SMTP_TEST_PASSWORD,
      SMTP_TLS: "none",
      SMTP_TIMEOUT_MS: "2000",
      SUPPORT_EMAIL_FROM: "tickets@platform.example.test",
      SUPPORT_EMAIL_TO: "helpdesk@platform.example.test",
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** An unfolded header's value from the message's header block. */
function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
