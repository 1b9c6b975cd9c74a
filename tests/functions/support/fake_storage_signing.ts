/**
 * Supabase Storage's signed URLs, faked on loopback from its REST API (storage-api's object routes):
 *   POST /storage/v1/object/sign/<bucket>/<path>   {"expiresIn": seconds}, service-role key in Authorization + apikey
 *     200 {"signedURL": "/object/sign/<bucket>/<path>?token=<JWT>"}  (the path as stored, not encoded)
 *     400 {"statusCode": "404", "error": "not_found", "message": "Object not found"} when there is no such object
 *   GET  /storage/v1/object/sign/<bucket>/<path>?token=<JWT>   the object, while the token is valid for that path
 *     400 {"statusCode": "400", "error": "InvalidJWT", "message": "jwt expired"} after expiresIn
 * The token is what Storage issues: a JWT signed with the project's JWT secret holding {"url": "<bucket>/<path>"}.
 * Tests put objects in `objects` ("<bucket>/<path>" -> content); `mode` makes signing fail.
 */
import * as jose from "npm:jose@6.2.17";
import { TEST_JWT_SECRET, TEST_SERVICE_ROLE_KEY } from "./env.ts";
import { json, startServer } from "./server.ts";

export interface FakeStorageSigning {
  url: string;
  mode: "ok" | "error_500";
  readonly objects: Map<string, string>;
  /** The expiresIn of every signing request, in order. */
  readonly signed: { key: string; expiresIn: number }[];
  close(): Promise<void>;
}

const SIGN = "/storage/v1/object/sign/";
const secret = new TextEncoder().encode(TEST_JWT_SECRET);

export function startFakeStorageSigning(): FakeStorageSigning {
  const fake: FakeStorageSigning = {
    url: "",
    mode: "ok",
    objects: new Map(),
    signed: [],
    close: () => server.close(),
  };
  const server = startServer(async (req) => {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    if (!path.startsWith(SIGN)) return json({ statusCode: "404", error: "not_found", message: "Route not found" }, 404);
    const key = path.slice(SIGN.length);
    if (req.method === "GET") return await download(fake, key, url.searchParams.get("token"));
    if (req.method !== "POST") return json({ statusCode: "405", error: "method", message: "not allowed" }, 405);
    const authorized = req.headers.get("authorization") === `Bearer ${TEST_SERVICE_ROLE_KEY}` &&
      req.headers.get("apikey") === TEST_SERVICE_ROLE_KEY;
    if (!authorized) return json({ statusCode: "403", error: "Unauthorized", message: "invalid signature" }, 400);
    if (fake.mode === "error_500") return json({ statusCode: "500", error: "Internal", message: "s3 down" }, 500);
    const { expiresIn } = await req.json() as { expiresIn?: unknown };
    if (typeof expiresIn !== "number" || expiresIn < 1) {
      return json({ statusCode: "400", error: "Error", message: "body/expiresIn must be >= 1" }, 400);
    }
    if (!fake.objects.has(key)) {
      return json({ statusCode: "404", error: "not_found", message: "Object not found" }, 400);
    }
    fake.signed.push({ key, expiresIn });
    const token = await new jose.SignJWT({ url: key })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(secret);
    // storage-api answers the name as stored, not encoded (clients encode the whole URL).
    return json({ signedURL: `/object/sign/${key}?token=${token}` });
  });
  fake.url = server.url;
  return fake;
}

async function download(fake: FakeStorageSigning, key: string, token: string | null): Promise<Response> {
  if (!token) return json({ statusCode: "400", error: "InvalidJWT", message: "querystring must have token" }, 400);
  try {
    const { payload } = await jose.jwtVerify(token, secret, { algorithms: ["HS256"] });
    if (payload.url !== key) {
      return json({ statusCode: "400", error: "InvalidSignature", message: "url mismatch" }, 400);
    }
  } catch (error) {
    const message = error instanceof jose.errors.JWTExpired ? "jwt expired" : "invalid signature";
    return json({ statusCode: "400", error: "InvalidJWT", message }, 400);
  }
  const body = fake.objects.get(key);
  if (body === undefined) return json({ statusCode: "404", error: "not_found", message: "Object not found" }, 400);
  return new Response(body, { headers: { "content-type": "application/octet-stream" } });
}
