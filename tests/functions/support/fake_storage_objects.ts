/**
 * Supabase Storage's object upload, faked on loopback from its REST API:
 *   POST /storage/v1/object/<bucket>/<path>  (Authorization: Bearer <service-role key>, apikey, x-upsert)
 * answered `{"Key": "<bucket>/<path>", "Id": "<uuid>"}`. Objects are kept by "<bucket>/<path>" for assertions.
 * (tests/functions/support/fake_supabase.ts fakes the bucket listing and the JWKS; this adds the uploads.)
 * `mode` makes it fail: "error_500" or "hang".
 */
import { TEST_SERVICE_ROLE_KEY } from "./env.ts";
import { json, startServer } from "./server.ts";

export type StorageObjectsMode = "ok" | "error_500" | "hang";

export interface StoredObject {
  body: string;
  contentType: string | null;
}

export interface FakeStorageObjects {
  url: string;
  mode: StorageObjectsMode;
  readonly objects: Map<string, StoredObject>;
  close(): Promise<void>;
}

const PREFIX = "/storage/v1/object/";

export function startFakeStorageObjects(): FakeStorageObjects {
  const fake: FakeStorageObjects = { url: "", mode: "ok", objects: new Map(), close: () => server.close() };
  const server = startServer(async (req, self) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (req.method !== "POST" || !path.startsWith(PREFIX)) return json({ message: "not faked" }, 404);
    const authorized = req.headers.get("authorization") === `Bearer ${TEST_SERVICE_ROLE_KEY}` &&
      req.headers.get("apikey") === TEST_SERVICE_ROLE_KEY;
    if (!authorized) return json({ statusCode: "403", error: "Unauthorized", message: "invalid signature" }, 400);
    const key = path.slice(PREFIX.length);
    if (fake.mode === "hang") {
      await self.hang(req);
      return json({}, 504);
    }
    if (fake.mode === "error_500") return json({ statusCode: "500", error: "Internal", message: "s3 down" }, 500);
    if (fake.objects.has(key) && req.headers.get("x-upsert") !== "true") {
      return json({ statusCode: "409", error: "Duplicate", message: "The resource already exists" }, 400);
    }
    fake.objects.set(key, { body: await req.text(), contentType: req.headers.get("content-type") });
    return json({ Key: key, Id: crypto.randomUUID() });
  });
  fake.url = server.url;
  return fake;
}
