/**
 * Push reminders through Firebase Cloud Messaging's HTTP v1 API (the legacy API and its server key,
 * FIREBASE_SERVER_KEY, were shut down by Google; see README.md):
 *
 *   POST ${FCM_BASE_URL:-https://fcm.googleapis.com}/v1/projects/{project_id}/messages:send
 *   Authorization: Bearer <OAuth token of the service account>   (google_oauth.ts)
 *   {"message": {"token", "notification": {"title", "body"}, "data": {"reminder_id"}}}
 *   200 {"name": "projects/{project_id}/messages/{id}"}
 *   errors {"error": {"code", "status", "details": [{"@type": ".../google.firebase.fcm.v1.FcmError", "errorCode"}]}}
 *
 * One message per registered device. A device FCM no longer knows (UNREGISTERED) is returned in `staleTokens`
 * for removal. The reminder counts as sent when at least one device took it.
 */
import { type Env, envString } from "../../_shared/env.ts";
import { ChannelFailure, httpFailure, type Sent } from "../../_shared/messaging/failure.ts";
import { type GoogleTokenSource, parseServiceAccount } from "./google_oauth.ts";
import { callProvider, parseJson } from "../../_shared/messaging/http.ts";
import { secureBase } from "../../_shared/messaging/urls.ts";

export interface PushMessage {
  tokens: readonly string[];
  title: string;
  body: string;
  data: Record<string, string>;
}

export interface PushSent extends Sent {
  staleTokens: string[];
}

// Only UNREGISTERED says the device is gone; INVALID_ARGUMENT or SENDER_ID_MISMATCH may be our message or our
// project setting, and dropping every device over a misconfiguration would lose them all.
const STALE_CODES = new Set(["UNREGISTERED"]);

export async function sendPush(
  env: Env,
  tokens: GoogleTokenSource,
  message: PushMessage,
  timeoutMs: number,
  /** Date.now() after which no further device is tried (the run's lease must outlast every call). */
  stopAt = Number.POSITIVE_INFINITY,
): Promise<PushSent> {
  if (message.tokens.length === 0) {
    throw new ChannelFailure("the user has no push device registered (push_devices)", false);
  }
  const accountJson = envString(env, "FIREBASE_SERVICE_ACCOUNT");
  if (!accountJson) {
    throw new ChannelFailure("push is not configured: set FIREBASE_SERVICE_ACCOUNT (a service account key)", true);
  }
  const account = parseServiceAccount(accountJson, envString(env, "FIREBASE_PROJECT_ID"));
  const base = secureBase(env, "FCM_BASE_URL", "https://fcm.googleapis.com");
  const url = `${base}/v1/projects/${encodeURIComponent(account.projectId)}/messages:send`;
  const staleTokens: string[] = [];
  const ids: string[] = [];
  let lastFailure: ChannelFailure | undefined;
  for (const device of message.tokens) {
    if (Date.now() > stopAt) {
      lastFailure = new ChannelFailure("the run's time ran out before every push device was tried", true);
      break;
    }
    const body = JSON.stringify({
      message: { token: device, notification: { title: message.title, body: message.body }, data: message.data },
    });
    let answer = await post(url, await tokens.accessToken(account, timeoutMs), body, timeoutMs);
    if (answer.status === 401) {
      // The cached token was revoked or expired early: one more try with a new one.
      tokens.forget();
      answer = await post(url, await tokens.accessToken(account, timeoutMs), body, timeoutMs);
    }
    if (answer.status === 200) {
      const name = (parseJson(answer.text) as { name?: unknown } | undefined)?.name;
      if (typeof name === "string") ids.push(name);
      continue;
    }
    const code = fcmErrorCode(answer.text);
    if (code && STALE_CODES.has(code) && answer.status !== 401) staleTokens.push(device);
    lastFailure = httpFailure("FCM", answer.status, code ?? "");
  }
  if (ids.length > 0) return { provider: "fcm", messageId: ids.join(","), staleTokens };
  if (staleTokens.length === message.tokens.length) {
    throw Object.assign(new ChannelFailure("FCM knows none of the user's push devices any more", false), {
      staleTokens,
    });
  }
  throw Object.assign(lastFailure ?? new ChannelFailure("FCM took no message", true), { staleTokens });
}

async function post(url: string, accessToken: string, body: string, timeoutMs: number) {
  return await callProvider("FCM", url, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" },
    body,
  }, timeoutMs);
}

function fcmErrorCode(text: string): string | undefined {
  const error = (parseJson(text) as { error?: { status?: unknown; details?: unknown } } | undefined)?.error;
  if (!error) return undefined;
  if (Array.isArray(error.details)) {
    for (const detail of error.details as { errorCode?: unknown }[]) {
      if (typeof detail?.errorCode === "string") return detail.errorCode;
    }
  }
  return typeof error.status === "string" ? error.status : undefined;
}

/** The tokens a failed push found stale, if any (ChannelFailure carries them when no device took the message). */
export function staleTokensOf(error: unknown): string[] {
  const stale = (error as { staleTokens?: unknown } | null)?.staleTokens;
  return Array.isArray(stale) ? stale as string[] : [];
}
