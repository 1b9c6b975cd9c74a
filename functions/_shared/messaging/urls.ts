/** Provider base URLs: https (http only on loopback, for the tests' stand-ins), without a trailing slash. */
import { type Env, envString } from "../env.ts";
import { ChannelFailure } from "./failure.ts";

export function secureBase(env: Env, name: string, fallback: string): string {
  const value = envString(env, name) ?? fallback;
  if (!isSecureUrl(value)) {
    throw new ChannelFailure(`${name} must be an https:// URL (http:// only on localhost)`, true);
  }
  return value.replace(/\/+$/, "");
}

export function isSecureUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  } catch {
    return false;
  }
}
