/**
 * Errors to Sentry when SENTRY_DSN is set, through Sentry's documented envelope endpoint
 * (`POST https://<host>/api/<project>/envelope/`, one `event` item, authenticated by the DSN's public key).
 *
 * Why not npm:@sentry/deno: its scope is per isolate, not per request, so under Deno.serve one request's
 * context can end up on another's error (Supabase's own guide warns of this), and its default integrations
 * patch globals (console, fetch) to collect breadcrumbs we would then have to scrub. One small POST per 5xx
 * needs none of that.
 *
 * What is sent: the error's type, its message and stack with every secret of the environment and every
 * secret-shaped, e-mail or phone-like string replaced, the function, the request id, the method and the path.
 * Never the user, their IP, headers, query strings or bodies.
 */
import { type Env, envString, isSecureUrl } from "./env.ts";
import { redactText } from "./log.ts";

const SEND_TIMEOUT_MS = 2000;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE = /\+?\d[\d ().-]{7,}\d/g;

export interface SentryTarget {
  envelopeUrl: string;
  publicKey: string;
  dsn: string;
}

/** The DSN's parts, or undefined when SENTRY_DSN is unset; a malformed DSN is undefined too (and said once). */
export function sentryTarget(env: Env): SentryTarget | undefined {
  const dsn = envString(env, "SENTRY_DSN");
  if (!dsn) return undefined;
  try {
    const url = new URL(dsn);
    const project = url.pathname.split("/").filter(Boolean).pop();
    if (!url.username || !project || !isSecureUrl(`${url.protocol}//${url.host}`)) return undefined;
    const prefix = url.pathname.slice(0, url.pathname.lastIndexOf(`/${project}`));
    return {
      envelopeUrl: `${url.protocol}//${url.host}${prefix}/api/${project}/envelope/`,
      publicKey: decodeURIComponent(url.username),
      dsn: `${url.protocol}//${url.username}@${url.host}${url.pathname}`,
    };
  } catch {
    return undefined;
  }
}

export interface ErrorReport {
  error: unknown;
  functionName: string;
  requestId: string;
  method: string;
  path: string;
  environment?: string;
  release?: string;
}

/** Scrubs secrets and personal data out of text bound for a third party. */
export function scrub(text: string, secrets: readonly string[]): string {
  return redactText(text, secrets).replace(EMAIL, "[email]").replace(PHONE, "[phone]");
}

export function sentryEnvelope(
  target: SentryTarget,
  report: ErrorReport,
  secrets: readonly string[],
  now = new Date(),
): string {
  const eventId = crypto.randomUUID().replaceAll("-", "");
  const error = report.error instanceof Error ? report.error : new Error(String(report.error));
  const event = {
    event_id: eventId,
    timestamp: now.getTime() / 1000,
    platform: "javascript",
    level: "error",
    logger: "edge-function",
    environment: report.environment ?? "production",
    release: report.release,
    transaction: `${report.method} /${report.functionName}`,
    tags: { function: report.functionName, request_id: report.requestId },
    request: { method: report.method, url: report.path },
    exception: {
      values: [{
        type: error.name,
        value: scrub(error.message, secrets),
        stacktrace: { frames: framesOf(error.stack, secrets) },
      }],
    },
  };
  const header = { event_id: eventId, dsn: target.dsn, sent_at: now.toISOString() };
  const payload = JSON.stringify(event);
  return [
    JSON.stringify(header),
    JSON.stringify({ type: "event", length: new TextEncoder().encode(payload).length }),
    payload,
  ].join("\n");
}

/** Sends one error; never throws (error reporting must not turn an answer into another error). */
export async function reportError(env: Env, report: ErrorReport, secrets: readonly string[]): Promise<boolean> {
  const target = sentryTarget(env);
  if (!target) return false;
  try {
    const response = await fetch(target.envelopeUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-sentry-envelope",
        "X-Sentry-Auth": `Sentry sentry_version=7, sentry_client=ai-platform-edge/1.0, sentry_key=${target.publicKey}`,
      },
      body: sentryEnvelope(target, report, secrets),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

// Sentry's frames, innermost last; file paths kept (they are our code), the text scrubbed like the message.
function framesOf(stack: string | undefined, secrets: readonly string[]): { function?: string; filename: string }[] {
  const frames: { function?: string; filename: string }[] = [];
  for (const line of (stack ?? "").split("\n").slice(1, 31)) {
    const match = /^\s*at (?:(.+?) \()?(.+?)\)?$/.exec(line);
    if (match) {
      frames.push({ function: match[1] ? scrub(match[1], secrets) : undefined, filename: scrub(match[2], secrets) });
    }
  }
  return frames.reverse();
}
