/**
 * The caller's identity, from the JWT in the Authorization header, verified here with jose (even where Supabase's
 * gateway verified it already: a function deployed with verify_jwt=false, or called locally, must not trust an
 * unverified token).
 *
 * The key follows the token's algorithm, so a project part-way through rotating from the legacy shared secret to
 * asymmetric signing keys accepts both kinds of token:
 * - HS256: the shared secret JWT_SECRET (legacy projects, and the tests); without it, HS256 tokens are refused.
 *   Supabase does not hand functions this secret: set it with `supabase secrets set JWT_SECRET=...`.
 * - ES256 / RS256 / EdDSA: the project's public keys, from SUPABASE_JWKS (the inline key set Supabase provides to
 *   functions) or else fetched from `${SUPABASE_URL}/auth/v1/.well-known/jwks.json` (cached by jose).
 * `exp` is required and checked.
 */
import * as jose from "npm:jose@6.2.17";
import { type Env, envString, misconfigured } from "./env.ts";
import { HttpError } from "./errors.ts";

export type JwtClaims = jose.JWTPayload & { role?: string; email?: string };

export interface Caller {
  /** `sub`: the auth.users id; null for the anon and service-role keys. */
  userId: string | null;
  /** `role`: anon, authenticated or service_role. */
  role: string;
  /** Every verified claim, handed to the database as request.jwt.claims (auth.uid(), auth.jwt()). */
  claims: JwtClaims;
}

export interface SignedInUser extends Caller {
  userId: string;
  role: "authenticated";
}

const CLOCK_TOLERANCE_SECONDS = 5;
const JWKS_TIMEOUT_MS = 3000;
const ASYMMETRIC_ALGORITHMS = ["ES256", "RS256", "EdDSA"];
// jose caches the fetched keys per key set; one key set per JWKS URL for the life of the isolate.
const remoteKeySets = new Map<string, ReturnType<typeof jose.createRemoteJWKSet>>();

export function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/** Verifies the request's token; 401 when it is missing, malformed, badly signed or expired. */
export async function authenticate(req: Request, env: Env): Promise<Caller> {
  if (!req.headers.get("authorization")) {
    throw unauthorized(
      "missing_authorization",
      "The Authorization header is missing; send `Authorization: Bearer <access token>` from a signed-in session",
    );
  }
  const token = bearerToken(req);
  if (!token) {
    throw unauthorized("invalid_authorization", "The Authorization header must be `Bearer <access token>`");
  }
  const claims = await verifyToken(token, env);
  const role = typeof claims.role === "string" ? claims.role : "";
  if (!role) throw unauthorized("invalid_token", "The access token has no role claim; sign in again");
  const userId = typeof claims.sub === "string" && claims.sub ? claims.sub : null;
  return { userId, role, claims };
}

/** For functions that act for a user: the anon key (or any token without a user) is told to sign in. */
export function requireSignedInUser(caller: Caller): SignedInUser {
  if (caller.role === "authenticated" && caller.userId && isUuid(caller.userId)) {
    return caller as SignedInUser;
  }
  const what = caller.role === "anon" ? "the anon key" : `a token with role ${caller.role || "none"}`;
  throw unauthorized(
    "sign_in_required",
    `This function acts for a signed-in user and was called with ${what}; sign in and send the user's access token`,
  );
}

export async function verifyToken(token: string, env: Env): Promise<JwtClaims> {
  const options: jose.JWTVerifyOptions = { clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ["exp"] };
  try {
    const { alg } = jose.decodeProtectedHeader(token);
    if (alg === "HS256") {
      const secret = envString(env, "JWT_SECRET");
      if (!secret) {
        throw unauthorized(
          "invalid_token",
          "The access token is signed with a shared secret this project does not use; sign in again",
        );
      }
      const key = new TextEncoder().encode(secret);
      return (await jose.jwtVerify(token, key, { ...options, algorithms: ["HS256"] })).payload as JwtClaims;
    }
    const keys = keySet(env);
    return (await jose.jwtVerify(token, keys, { ...options, algorithms: ASYMMETRIC_ALGORITHMS })).payload as JwtClaims;
  } catch (error) {
    throw tokenError(error);
  }
}

type KeySet = ReturnType<typeof jose.createRemoteJWKSet> | ReturnType<typeof jose.createLocalJWKSet>;

function keySet(env: Env): KeySet {
  const inline = envString(env, "SUPABASE_JWKS");
  if (inline) return localKeySet(inline);
  const base = envString(env, "SUPABASE_URL");
  if (!base) {
    throw misconfigured(
      "none of JWT_SECRET, SUPABASE_JWKS or SUPABASE_URL is set, so access tokens cannot be verified",
    );
  }
  const url = `${base.replace(/\/+$/, "")}/auth/v1/.well-known/jwks.json`;
  let keys = remoteKeySets.get(url);
  if (!keys) {
    keys = jose.createRemoteJWKSet(new URL(url), { timeoutDuration: JWKS_TIMEOUT_MS });
    remoteKeySets.set(url, keys);
  }
  return keys;
}

// SUPABASE_JWKS is `{"keys": [...]}` or a bare array of keys.
function localKeySet(json: string): ReturnType<typeof jose.createLocalJWKSet> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw misconfigured("SUPABASE_JWKS is not valid JSON; it must be a JSON Web Key Set");
  }
  const keys = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw misconfigured('SUPABASE_JWKS must be {"keys": [...]} or an array of keys');
  return jose.createLocalJWKSet({ keys: keys as jose.JWK[] });
}

function tokenError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof jose.errors.JWTExpired) {
    return unauthorized("token_expired", "The access token has expired; refresh the session or sign in again");
  }
  if (error instanceof jose.errors.JWKSTimeout || isFetchFailure(error)) {
    return new HttpError(
      503,
      "auth_keys_unavailable",
      "The project's signing keys could not be fetched to verify the access token; try again shortly",
      { headers: { "Retry-After": "5" } },
    );
  }
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    return unauthorized("invalid_token", `The access token's ${error.claim} claim is not valid; sign in again`);
  }
  return unauthorized("invalid_token", "The access token is not valid (malformed or badly signed); sign in again");
}

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError || error instanceof jose.errors.JOSEError && error.code === "ERR_JOSE_GENERIC";
}

export function unauthorized(code: string, message: string): HttpError {
  return new HttpError(401, code, message, { headers: { "WWW-Authenticate": `Bearer error="invalid_token"` } });
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
