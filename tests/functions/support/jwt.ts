/** Access tokens for tests, signed like Supabase's: HS256 with the project's JWT secret (TEST_JWT_SECRET). */
import * as jose from "npm:jose@6.2.17";
import { TEST_JWT_SECRET } from "./env.ts";

export interface TokenOptions {
  /** The user id (auth.users.id); omit for the anon and service-role keys. */
  sub?: string;
  role?: string;
  /** Negative to mint an already expired token. */
  expiresInSeconds?: number;
  secret?: string;
  email?: string;
  /** Supabase Auth's authentication method references: when and how the session signed in. */
  amr?: { method: string; timestamp: number }[];
}

export async function mintToken(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: jose.JWTPayload = { role: options.role ?? "authenticated", aud: "authenticated" };
  if (options.email) claims.email = options.email;
  if (options.amr) claims.amr = options.amr;
  const jwt = new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("supabase")
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresInSeconds ?? 3600));
  if (options.sub) jwt.setSubject(options.sub);
  return await jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

/** What a project's anon key is: a JWT with role anon and no user. */
export function anonKey(): Promise<string> {
  return mintToken({ role: "anon", expiresInSeconds: 10 * 365 * 24 * 3600 });
}

export function serviceRoleKey(): Promise<string> {
  return mintToken({ role: "service_role", expiresInSeconds: 10 * 365 * 24 * 3600 });
}
