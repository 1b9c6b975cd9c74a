/**
 * Resend's e-mails API on loopback (docs: "Send Email", POST /emails): Bearer API key; from, to (a string or up to
 * 50), subject and html or text required; 200 {"id"}. An Idempotency-Key seen before (within 24 hours) returns the
 * first answer and sends nothing. Errors are {"statusCode", "name", "message"}: 422 validation_error,
 * 401 missing_api_key, 403 invalid_api_key, 429 rate_limit_exceeded, 500 application_error.
 */
import { delay, type MessagingControls } from "./fake_messaging.ts";
import { json, startServer } from "./server.ts";

export const RESEND_TEST_KEY = "re_test_resend_key_8e7f6a5b";

export interface ResendMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  idempotencyKey: string | null;
}

export interface FakeResend extends MessagingControls {
  url: string;
  readonly mails: ResendMail[];
  close(): Promise<void>;
}

export function startFakeResend(): FakeResend {
  const fake: FakeResend = { url: "", mode: "ok", delayMs: 0, mails: [], close: () => server.close() };
  const byKey = new Map<string, string>();
  const error = (statusCode: number, name: string, message: string) => json({ statusCode, name, message }, statusCode);
  const server = startServer(async (req, self) => {
    if (req.method !== "POST" || new URL(req.url).pathname !== "/emails") return error(404, "not_found", "not found");
    const auth = req.headers.get("authorization");
    if (!auth) return error(401, "missing_api_key", "Missing API key in the authorization header.");
    if (auth !== `Bearer ${RESEND_TEST_KEY}`) return error(403, "invalid_api_key", "API key is invalid");
    // deno-lint-ignore no-explicit-any
    const body = await req.json() as any;
    const to = typeof body?.to === "string" ? [body.to] : body?.to;
    if (!body?.from || !Array.isArray(to) || to.length === 0 || !body?.subject || !(body?.text || body?.html)) {
      return error(422, "validation_error", "Missing `to` field.");
    }
    const key = req.headers.get("idempotency-key");
    if (key && byKey.has(key)) return json({ id: byKey.get(key) });
    if (fake.mode === "hang") {
      await self.hang(req);
      return json({}, 504);
    }
    if (fake.mode === "error_500") return error(500, "application_error", "An unexpected error occurred.");
    if (fake.mode === "rate_limited_429") return error(429, "rate_limit_exceeded", "Too many requests.");
    if (fake.mode === "rejected_400") return error(422, "validation_error", "Invalid `to` field.");
    await delay(fake.delayMs);
    const id = crypto.randomUUID();
    if (key) byKey.set(key, id);
    fake.mails.push({ to, from: body.from, subject: body.subject, text: body.text, idempotencyKey: key });
    return json({ id });
  });
  fake.url = server.url;
  return fake;
}
