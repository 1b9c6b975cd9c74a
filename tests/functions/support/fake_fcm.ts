/**
 * Firebase Cloud Messaging's HTTP v1 API and Google's OAuth 2.0 token endpoint, on loopback, from their public docs:
 *
 * - Token endpoint ("Using OAuth 2.0 for Server to Server Applications"): POST /token, form-encoded
 *   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and assertion = a JWT signed RS256 with the service
 *   account's private key, claims iss (client_email), scope, aud (the token URI), iat, exp (at most an hour after
 *   iat). 200 {"access_token", "expires_in": 3599, "token_type": "Bearer"}; 400 {"error": "invalid_grant",
 *   "error_description"} otherwise.
 * - FCM (projects.messages.send): POST /v1/projects/{project}/messages:send, Bearer access token with the
 *   firebase.messaging scope, {"message": {"token", "notification": {"title", "body"}, "data"}}; 200 {"name":
 *   "projects/{project}/messages/{id}"}. Errors {"error": {"code", "message", "status", "details": [{"@type":
 *   "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode"}]}}: 401 UNAUTHENTICATED, 404 UNREGISTERED,
 *   429 QUOTA_EXCEEDED, 503 UNAVAILABLE, 400 INVALID_ARGUMENT.
 *
 * `serviceAccountJson` is a key file for this fake (its token_uri points here); `unregistered` holds device
 * tokens FCM no longer knows; `revokeAccessTokens()` makes issued tokens fail with 401.
 */
import * as jose from "npm:jose@6.2.17";
import { delay, type MessagingControls } from "./fake_messaging.ts";
import { json, startServer } from "./server.ts";

export const FCM_TEST_PROJECT = "docuvault-test";
const CLIENT_EMAIL = "reminders@docuvault-test.iam.gserviceaccount.com";
const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

export interface FcmMessage {
  token: string;
  title: string;
  body: string;
  data: Record<string, string>;
}

export interface FakeFcm extends MessagingControls {
  url: string;
  serviceAccountJson: string;
  readonly messages: FcmMessage[];
  readonly unregistered: Set<string>;
  /** Token exchanges accepted, and assertions refused. */
  readonly tokenExchanges: number;
  readonly refusedAssertions: number;
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

// RSA key generation takes a while; one service account key per test process is enough (`fresh` for another).
let sharedKeys: Promise<jose.GenerateKeyPairResult> | undefined;

export async function startFakeFcm(options: { fresh?: boolean } = {}): Promise<FakeFcm> {
  const generate = () => jose.generateKeyPair("RS256", { extractable: true });
  const { publicKey, privateKey } = await (options.fresh ? generate() : (sharedKeys ??= generate()));
  const pem = await jose.exportPKCS8(privateKey);
  const issued = new Set<string>();
  let exchanges = 0;
  let refused = 0;
  const fcmError = (code: number, status: string, errorCode?: string) =>
    json({
      error: {
        code,
        message: `${status} (test)`,
        status,
        details: errorCode ? [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }] : [],
      },
    }, code);

  const fake = {
    url: "",
    serviceAccountJson: "",
    mode: "ok",
    delayMs: 0,
    messages: [] as FcmMessage[],
    unregistered: new Set<string>(),
    get tokenExchanges() {
      return exchanges;
    },
    get refusedAssertions() {
      return refused;
    },
    revokeAccessTokens: () => issued.clear(),
    close: () => server.close(),
  } as FakeFcm;

  const server = startServer(async (req, self) => {
    const path = new URL(req.url).pathname;
    if (req.method === "POST" && path === "/token") {
      const form = new URLSearchParams(await req.text());
      const fail = (description: string) => {
        refused++;
        return json({ error: "invalid_grant", error_description: description }, 400);
      };
      if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") return fail("bad grant_type");
      try {
        const { payload } = await jose.jwtVerify(form.get("assertion") ?? "", publicKey, {
          algorithms: ["RS256"],
          issuer: CLIENT_EMAIL,
          audience: `${fake.url}/token`,
          requiredClaims: ["iat", "exp"],
        });
        if (payload.scope !== SCOPE) return fail("Invalid OAuth scope");
        if ((payload.exp as number) - (payload.iat as number) > 3600) return fail("Invalid JWT: exp too far");
      } catch {
        return fail("Invalid JWT Signature.");
      }
      exchanges++;
      const token = `ya29.test-${crypto.randomUUID()}`;
      issued.add(token);
      return json({ access_token: token, expires_in: 3599, token_type: "Bearer" });
    }
    const match = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
    if (req.method !== "POST" || !match) return fcmError(404, "NOT_FOUND");
    const bearer = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    if (!bearer || !issued.has(bearer)) return fcmError(401, "UNAUTHENTICATED");
    if (match[1] !== FCM_TEST_PROJECT) return fcmError(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH");
    // deno-lint-ignore no-explicit-any
    const message = (await req.json() as any)?.message;
    if (typeof message?.token !== "string") return fcmError(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
    if (fake.unregistered.has(message.token)) return fcmError(404, "NOT_FOUND", "UNREGISTERED");
    if (fake.mode === "hang") {
      await self.hang(req);
      return json({}, 504);
    }
    if (fake.mode === "error_500") return fcmError(503, "UNAVAILABLE", "UNAVAILABLE");
    if (fake.mode === "rate_limited_429") return fcmError(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED");
    if (fake.mode === "rejected_400") return fcmError(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
    const data = message.data ?? {};
    if (Object.values(data).some((value) => typeof value !== "string")) {
      return fcmError(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
    }
    await delay(fake.delayMs);
    fake.messages.push({
      token: message.token,
      title: message.notification?.title,
      body: message.notification?.body,
      data,
    });
    return json({ name: `projects/${FCM_TEST_PROJECT}/messages/${crypto.randomUUID()}` });
  });
  fake.url = server.url;
  fake.serviceAccountJson = JSON.stringify({
    type: "service_account",
    project_id: FCM_TEST_PROJECT,
    private_key_id: "test-key-1",
    private_key: pem,
    client_email: CLIENT_EMAIL,
    token_uri: `${server.url}/token`,
  });
  return fake;
}
