/**
 * SendGrid's v3 Mail Send API on loopback (docs: "Mail Send", POST /v3/mail/send): Bearer API key; the body's
 * personalizations[].to[].email, from.email, subject and content[] are required; 202 with an empty body and the
 * message id in X-Message-Id. Errors are {"errors": [{"message", "field", "help"}]}: 400 bad body, 401 bad key,
 * 429 too many requests, 5xx.
 */
import { delay, type MessagingControls } from "./fake_messaging.ts";
import { json, startServer } from "./server.ts";

export const SENDGRID_TEST_KEY = "SG.test-sendgrid-key-4d3c2b1a";

export interface SendGridMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
}

export interface FakeSendGrid extends MessagingControls {
  url: string;
  readonly mails: SendGridMail[];
  close(): Promise<void>;
}

export function startFakeSendGrid(): FakeSendGrid {
  const fake: FakeSendGrid = { url: "", mode: "ok", delayMs: 0, mails: [], close: () => server.close() };
  const server = startServer(async (req, self) => {
    if (req.method !== "POST" || new URL(req.url).pathname !== "/v3/mail/send") {
      return json({ errors: [{ message: "not found" }] }, 404);
    }
    if (req.headers.get("authorization") !== `Bearer ${SENDGRID_TEST_KEY}`) {
      return json({ errors: [{ message: "The provided authorization grant is invalid, expired, or revoked" }] }, 401);
    }
    // deno-lint-ignore no-explicit-any
    const body = await req.json() as any;
    const to = body?.personalizations?.[0]?.to?.map((t: { email: string }) => t.email);
    const text = body?.content?.find((c: { type: string }) => c.type === "text/plain")?.value;
    if (!Array.isArray(to) || to.length === 0 || !body?.from?.email || !body?.subject || typeof text !== "string") {
      return json({ errors: [{ message: "The personalizations field is required", field: "personalizations" }] }, 400);
    }
    if (fake.mode === "hang") {
      await self.hang(req);
      return json({}, 504);
    }
    if (fake.mode === "error_500") return json({ errors: [{ message: "Internal error" }] }, 500);
    if (fake.mode === "rate_limited_429") return json({ errors: [{ message: "too many requests" }] }, 429);
    if (fake.mode === "rejected_400") {
      return json({ errors: [{ message: "Does not contain a valid address.", field: "personalizations.0.to" }] }, 400);
    }
    await delay(fake.delayMs);
    fake.mails.push({ to, from: body.from.email, subject: body.subject, text });
    return new Response(null, { status: 202, headers: { "X-Message-Id": `sg-${crypto.randomUUID()}` } });
  });
  fake.url = server.url;
  return fake;
}
