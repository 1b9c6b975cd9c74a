/**
 * The environment a handler reads. Handlers receive it as a plain object (index.ts passes `Deno.env.toObject()`),
 * so each test builds its handler with its own keys, base URLs and timeouts.
 */
import { HttpError } from "./errors.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** The variable's trimmed value; unset and blank are the same (an empty secret is a missing secret). */
export function envString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A variable the request cannot do without: a 500 naming the variable (never its value) when it is missing. */
export function requireEnv(env: Env, name: string): string {
  const value = envString(env, name);
  if (value === undefined) {
    throw misconfigured(`${name} is not set; set it with \`supabase secrets set ${name}=...\``);
  }
  return value;
}

/**
 * A URL that secrets or users' data are sent to: https, or http on loopback only (the tests' local fakes). A 500
 * naming the variable otherwise, before anything is sent.
 */
export function requireSecureUrl(env: Env, name: string, fallback?: string): string {
  const value = envString(env, name) ?? fallback;
  if (value === undefined) return requireEnv(env, name);
  if (!isSecureUrl(value)) throw misconfigured(`${name} must be an https:// URL (http:// only on localhost)`);
  return value;
}

/** https, or http to loopback only (the tests' local stand-ins). */
export function isSecureUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  } catch {
    return false;
  }
}

/** A whole number within [min, max], or the fallback when unset. A bad value is an operator error, so a 500. */
export function envInt(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = envString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw misconfigured(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

/** A comma-separated list, trimmed, empty items dropped; the fallback when unset. */
export function envList(env: Env, name: string, fallback: readonly string[]): string[] {
  const raw = envString(env, name);
  if (raw === undefined) return [...fallback];
  return raw.split(",").map((item) => item.trim()).filter((item) => item.length > 0);
}

export function misconfigured(message: string): HttpError {
  return new HttpError(500, "server_misconfigured", `The function is misconfigured: ${message}`);
}
