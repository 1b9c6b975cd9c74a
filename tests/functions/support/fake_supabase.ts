/**
 * The parts of a Supabase project's HTTP API the functions call, faked on loopback:
 * - Storage: GET /storage/v1/bucket (list buckets), service-role key in `Authorization: Bearer` and `apikey`;
 * - Auth: GET /auth/v1/.well-known/jwks.json, the project's public signing key (ES256), for tokens minted with
 *   `mintAsymmetricToken` (projects on asymmetric JWT signing keys).
 * `storageMode` makes Storage fail: a 5xx, a 401 or a hang.
 */
import * as jose from "npm:jose@6.2.17";
import { TEST_SERVICE_ROLE_KEY } from "./env.ts";
import { json, startServer, type TestServer } from "./server.ts";

export type StorageMode = "ok" | "error_500" | "hang";

export interface FakeSupabase {
  url: string;
  storageMode: StorageMode;
  readonly storageRequests: Request[];
  /** The project's public key set, as SUPABASE_JWKS holds it. */
  jwks: { keys: Record<string, unknown>[] };
  /** A user token signed with the project's private ES256 key (verifiable only through the JWKS). */
  mintAsymmetricToken(sub: string, expiresInSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

const KEY_ID = "test-signing-key";

export async function startFakeSupabase(): Promise<FakeSupabase> {
  const { publicKey, privateKey } = await jose.generateKeyPair("ES256", { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: KEY_ID, alg: "ES256", use: "sig" };
  const fake: FakeSupabase & { server?: TestServer } = {
    url: "",
    storageMode: "ok",
    storageRequests: [],
    jwks: { keys: [publicJwk] },
    mintAsymmetricToken: async (sub, expiresInSeconds = 3600) =>
      await new jose.SignJWT({ role: "authenticated", aud: "authenticated" })
        .setProtectedHeader({ alg: "ES256", kid: KEY_ID, typ: "JWT" })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
        .sign(privateKey),
    close: () => server.close(),
  };
  const server = startServer(async (req, self) => {
    const path = new URL(req.url).pathname;
    if (path === "/auth/v1/.well-known/jwks.json") return json({ keys: [publicJwk] });
    if (path === "/storage/v1/bucket" && req.method === "GET") {
      fake.storageRequests.push(req);
      const key = `Bearer ${TEST_SERVICE_ROLE_KEY}`;
      if (req.headers.get("authorization") !== key || req.headers.get("apikey") !== TEST_SERVICE_ROLE_KEY) {
        return json({ statusCode: "403", error: "Unauthorized", message: "invalid signature" }, 400);
      }
      if (fake.storageMode === "hang") {
        await self.hang(req);
        return json({}, 504);
      }
      if (fake.storageMode === "error_500") {
        return json({ statusCode: "500", error: "Internal", message: "storage backend down" }, 500);
      }
      return json([{ id: "documents", name: "documents", public: false }]);
    }
    return json({ message: `no fake for ${req.method} ${path}` }, 404);
  });
  fake.url = server.url;
  return fake;
}
