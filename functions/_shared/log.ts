/**
 * Structured logs: one JSON object per line on stdout/stderr, which Supabase's log explorer indexes.
 * Nothing secret may reach a log line, so every line goes through `redact`:
 * - values of fields whose name says secret (authorization, apikey, token, password, secret, key, cookie) are
 *   replaced whole;
 * - the exact values of the environment's secrets (see secretsFromEnv) are cut out of every string;
 * - bearer tokens, JWTs, provider API keys and passwords inside connection strings are masked by shape, for
 *   secrets that are not in the environment (a caller's token, a key echoed by an upstream error).
 */
import type { Env } from "./env.ts";

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too (e.g. the user id once it is known). */
  child(fields: LogFields): Logger;
}

export const REDACTED = "[redacted]";

// Whole names or suffixes: `access_token` and `x-api-key` are secrets, `input_tokens` and `token_count` are not.
const SECRET_FIELD =
  /^(authorization|cookie|set-cookie|apikey|api[-_]?key|password|passwd|secret|token|key|jwt)$|[-_](token|secret|password|key|jwt)$/i;
const SECRET_ENV_NAME = /KEY|SECRET|TOKEN|PASS|DB_URL|DATABASE_URL|SERVICE_ACCOUNT/i;
const MIN_SECRET_LENGTH = 6;

const SECRET_SHAPES: readonly RegExp[] = [
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, // Authorization header values
  /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, // JWTs (anon, service-role, user tokens)
  /\bsk-[A-Za-z0-9_-]{8,}/g, // OpenAI and Anthropic keys (sk-..., sk-ant-...)
  /\bAIza[A-Za-z0-9_-]{20,}/g, // Google API keys
  /\bsb_(?:secret|publishable)_[A-Za-z0-9_-]{8,}/g, // Supabase's new API keys
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, // PEM keys (service accounts)
];
// postgres://user:password@host -> postgres://user:[redacted]@host
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]+:)[^@/\s]+@/gi;

/** The values of the environment's secrets: variables named like a key, secret, token, password or DB URL. */
export function secretsFromEnv(env: Env): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value || !SECRET_ENV_NAME.test(name)) continue;
    if (value.length >= MIN_SECRET_LENGTH) secrets.push(value);
    const password = urlPassword(value);
    if (password && password.length >= 3) secrets.push(password);
  }
  // Longest first, so a secret containing another is cut out whole.
  return secrets.sort((a, b) => b.length - a.length);
}

export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
  return out.replace(URL_PASSWORD, `$1${REDACTED}@`);
}

export function redact(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (value === null || typeof value !== "object") return value;
  if (depth > 6) return "[nested too deep]";
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message, secrets) };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) && item !== null && item !== undefined
      ? REDACTED
      : redact(item, secrets, depth + 1);
  }
  return out;
}

export function createLogger(base: LogFields, secrets: readonly string[]): Logger {
  const write = (level: "info" | "warn" | "error", message: string, fields: LogFields = {}) => {
    const line = redact({ level, time: new Date().toISOString(), msg: message, ...base, ...fields }, secrets);
    const text = JSON.stringify(line);
    if (level === "error") console.error(text);
    else if (level === "warn") console.warn(text);
    else console.log(text);
  };
  return {
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    child: (fields) => createLogger({ ...base, ...fields }, secrets),
  };
}

function urlPassword(value: string): string | undefined {
  try {
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
