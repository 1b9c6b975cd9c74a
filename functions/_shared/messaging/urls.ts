/** Provider base URLs: https (http only on loopback, for the tests' stand-ins), without a trailing slash. */
import { type Env, envString, isSecureUrl } from "../env.ts";
import { ChannelFailure } from "./failure.ts";

export function secureBase(env: Env, name: string, fallback: string): string {
  const value = envString(env, name) ?? fallback;
  if (!isSecureUrl(value)) {
    throw new ChannelFailure(`${name} must be an https:// URL (http:// only on localhost)`, true);
  }
  return value.replace(/\/+$/, "");
}
