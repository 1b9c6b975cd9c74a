/**
 * An OAuth 2.0 access token for Firebase Cloud Messaging from a Google service account (the two-legged "JWT bearer"
 * flow of Google's OAuth 2.0 for Server to Server Applications):
 *
 *   assertion = RS256 JWT {iss: client_email, scope, aud: token_uri, iat, exp: iat + 3600}, kid = private_key_id
 *   POST token_uri   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>   (form-encoded)
 *   200 {"access_token", "expires_in", "token_type": "Bearer"}
 *
 * The service account is FIREBASE_SERVICE_ACCOUNT (the JSON key file's content, a secret). Tokens are kept until a
 * minute before they expire, per handler, so a run asks Google once, not once per reminder.
 */
import * as jose from "npm:jose@6.2.17";
import { ChannelFailure, httpFailure } from "../../_shared/messaging/failure.ts";
import { callProvider, parseJson } from "../../_shared/messaging/http.ts";
import { isSecureUrl } from "../../_shared/env.ts";

export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

export interface ServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKey: string;
  privateKeyId: string | undefined;
  tokenUri: string;
}

/** The key file's fields; a ChannelFailure (retryable: the operator can fix it) naming what is wrong. */
export function parseServiceAccount(json: string, projectOverride?: string): ServiceAccount {
  const bad = (what: string) => new ChannelFailure(`FIREBASE_SERVICE_ACCOUNT ${what}`, true);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json);
  } catch {
    throw bad("is not JSON: set it to the content of the service account's key file");
  }
  if (raw === null || typeof raw !== "object") throw bad("must be a JSON object (the key file)");
  const text = (name: string) => (typeof raw[name] === "string" && raw[name] ? raw[name] as string : undefined);
  if (text("type") !== "service_account") throw bad('must have "type": "service_account"');
  const clientEmail = text("client_email");
  const privateKey = text("private_key");
  const projectId = projectOverride ?? text("project_id");
  if (!clientEmail || !privateKey) throw bad("must hold client_email and private_key");
  if (!projectId) throw bad("has no project_id; set FIREBASE_PROJECT_ID");
  const tokenUri = text("token_uri") ?? GOOGLE_TOKEN_URI;
  if (!isSecureUrl(tokenUri)) throw bad("token_uri must be an https:// URL");
  return { projectId, clientEmail, privateKey, privateKeyId: text("private_key_id"), tokenUri };
}

export class GoogleTokenSource {
  #cached: { key: string; token: string; expiresAt: number } | undefined;

  async accessToken(account: ServiceAccount, timeoutMs: number): Promise<string> {
    const key = `${account.clientEmail} ${account.tokenUri}`;
    if (this.#cached && this.#cached.key === key && this.#cached.expiresAt > Date.now()) return this.#cached.token;
    const assertion = await signAssertion(account);
    const answer = await callProvider("Google OAuth", account.tokenUri, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }),
    }, timeoutMs);
    if (answer.status !== 200) throw httpFailure("Google OAuth", answer.status, "the service account's token");
    const parsed = parseJson(answer.text) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof parsed?.access_token !== "string") {
      throw new ChannelFailure("Google OAuth answered without an access_token", true);
    }
    const lifetime = typeof parsed.expires_in === "number" ? parsed.expires_in : 3600;
    this.#cached = { key, token: parsed.access_token, expiresAt: Date.now() + Math.max(0, lifetime - 60) * 1000 };
    return parsed.access_token;
  }

  /** After a 401 from FCM: the next call fetches a new token. */
  forget(): void {
    this.#cached = undefined;
  }
}

async function signAssertion(account: ServiceAccount): Promise<string> {
  let key: CryptoKey;
  try {
    key = await jose.importPKCS8(account.privateKey, "RS256");
  } catch {
    throw new ChannelFailure("FIREBASE_SERVICE_ACCOUNT's private_key is not a PKCS #8 RSA key in PEM", true);
  }
  const header: jose.JWTHeaderParameters = { alg: "RS256", typ: "JWT" };
  if (account.privateKeyId) header.kid = account.privateKeyId;
  return await new jose.SignJWT({ scope: FCM_SCOPE })
    .setProtectedHeader(header)
    .setIssuer(account.clientEmail)
    .setAudience(account.tokenUri)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(key);
}
