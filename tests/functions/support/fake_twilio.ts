/**
 * Twilio's Messages API on loopback (docs: "Message resource", Create a Message):
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP Basic AccountSid:AuthToken, form-encoded To, From,
 *   Body; 201 {"sid": "SM...", "status": "queued", "to", "from", "body", ...}. Errors are
 *   {"code", "message", "more_info", "status"}: 400 code 21211 (invalid To), 401 code 20003, 429 code 20429, 5xx.
 */
import { delay, type MessagingControls } from "./fake_messaging.ts";
import { json, startServer } from "./server.ts";

export const TWILIO_TEST_SID = "AC0123456789abcdef0123456789abcdef";
export const TWILIO_TEST_TOKEN = "twilio-test-auth-token-77aa";
export const TWILIO_TEST_FROM = "+15005550006";

export interface TwilioMessage {
  to: string;
  from: string;
  body: string;
}

export interface FakeTwilio extends MessagingControls {
  url: string;
  readonly messages: TwilioMessage[];
  close(): Promise<void>;
}

export function startFakeTwilio(): FakeTwilio {
  const fake: FakeTwilio = { url: "", mode: "ok", delayMs: 0, messages: [], close: () => server.close() };
  const error = (status: number, code: number, message: string) =>
    json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status);
  const server = startServer(async (req, self) => {
    const path = new URL(req.url).pathname;
    if (req.method !== "POST" || path !== `/2010-04-01/Accounts/${TWILIO_TEST_SID}/Messages.json`) {
      return error(404, 20404, "The requested resource was not found");
    }
    if (req.headers.get("authorization") !== `Basic ${btoa(`${TWILIO_TEST_SID}:${TWILIO_TEST_TOKEN}`)}`) {
      return error(401, 20003, "Authenticate");
    }
    if (!req.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded")) {
      return error(400, 21601, "Message body is required.");
    }
    const form = new URLSearchParams(await req.text());
    const [to, from, body] = [form.get("To"), form.get("From"), form.get("Body")];
    if (!to || !from || !body) return error(400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (fake.mode === "hang") {
      await self.hang(req);
      return json({}, 504);
    }
    if (fake.mode === "error_500") return error(500, 20500, "Internal Server Error");
    if (fake.mode === "rate_limited_429") return error(429, 20429, "Too Many Requests");
    if (fake.mode === "rejected_400") return error(400, 21610, "Attempt to send to unsubscribed recipient");
    await delay(fake.delayMs);
    fake.messages.push({ to, from, body });
    const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
    return json({ sid, status: "queued", to, from, body, account_sid: TWILIO_TEST_SID }, 201);
  });
  fake.url = server.url;
  return fake;
}
