/**
 * SMS reminders through Twilio's Messages API:
 *
 *   POST ${TWILIO_BASE_URL:-https://api.twilio.com}/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json
 *   Authorization: Basic base64(TWILIO_ACCOUNT_SID:TWILIO_AUTH_TOKEN), form fields To, From, Body
 *   201 {"sid": "SM...", "status": "queued", ...}; errors {"code", "message", "status"}
 *
 * From is TWILIO_PHONE_NUMBER. The recipient is the phone number Supabase Auth confirmed for the user.
 */
import { type Env, envString } from "../../_shared/env.ts";
import { ChannelFailure, httpFailure, type Sent } from "../../_shared/messaging/failure.ts";
import { callProvider, parseJson } from "../../_shared/messaging/http.ts";
import { secureBase } from "../../_shared/messaging/urls.ts";

export const SMS_MAX_CHARACTERS = 320;

// GSM 03.38's basic set (one septet each) and its extension (two septets: escape + char), as ASCII.
const GSM_BASIC = /^[A-Za-z0-9 \r\n@$_!"#%&'()*+,\-./:;<=>?]$/;
const GSM_EXTENSION = /^[\^{}\\[\]~|]$/;

/**
 * The segments a carrier bills for `body` as sent (cut at SMS_MAX_CHARACTERS): 160 septets in one GSM-7 message,
 * 153 per segment when concatenated; anything outside plain GSM-7 goes as UCS-2, 70 and 67 UTF-16 units. Letters
 * GSM-7 does have beyond ASCII (é, ü, ...) are counted as UCS-2: never fewer segments than Twilio bills.
 */
export function smsSegments(body: string): number {
  const text = body.slice(0, SMS_MAX_CHARACTERS);
  let septets = 0;
  for (const char of text) {
    if (GSM_BASIC.test(char)) septets += 1;
    else if (GSM_EXTENSION.test(char)) septets += 2;
    else return text.length <= 70 ? 1 : Math.ceil(text.length / 67);
  }
  return septets <= 160 ? 1 : Math.ceil(septets / 153);
}

export async function sendSms(env: Env, to: string, body: string, timeoutMs: number): Promise<Sent> {
  const sid = envString(env, "TWILIO_ACCOUNT_SID");
  const token = envString(env, "TWILIO_AUTH_TOKEN");
  const from = envString(env, "TWILIO_PHONE_NUMBER");
  if (!sid || !token || !from) {
    throw new ChannelFailure(
      "SMS is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER",
      true,
    );
  }
  if (!/^AC[0-9a-fA-F]{32}$/.test(sid)) {
    throw new ChannelFailure("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits", true);
  }
  const base = secureBase(env, "TWILIO_BASE_URL", "https://api.twilio.com");
  const url = `${base}/2010-04-01/Accounts/${sid}/Messages.json`;
  const answer = await callProvider("Twilio", url, {
    method: "POST",
    headers: {
      Authorization: `Basic ${btoa(`${sid}:${token}`)}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ To: to, From: from, Body: body.slice(0, SMS_MAX_CHARACTERS) }),
  }, timeoutMs);
  const parsed = parseJson(answer.text) as { sid?: unknown; code?: unknown } | undefined;
  if (answer.status !== 201 && answer.status !== 200) {
    const code = typeof parsed?.code === "number" ? `error ${parsed.code}` : "";
    throw httpFailure("Twilio", answer.status, code);
  }
  return { provider: "twilio", messageId: typeof parsed?.sid === "string" ? parsed.sid : null };
}
