/**
 * Supabase Storage's object API for the document functions, faked on loopback from its REST contract
 * (storage-api's routes, as supabase-js's StorageFileApi calls them):
 *   POST /storage/v1/object/upload/sign/<bucket>/<path>      service key -> {"url": "/object/upload/sign/<bucket>/<path>?token=<t>"}
 *   PUT  /storage/v1/object/upload/sign/<bucket>/<path>?token=<t>   the file, no key   -> {"Key": "<bucket>/<path>"}
 *   GET  /storage/v1/object/authenticated/<bucket>/<path>    service key -> the bytes
 * Like the real service it keeps the object's row in storage.objects of the test database (metadata.size is the
 * bytes received, metadata.mimetype the Content-Type), and checks the bucket's size limit and MIME types from
 * storage.buckets; a row the database refuses (the storage quota trigger) is answered as an error and nothing is
 * kept. `mode` makes the key-authenticated routes fail: "error_500" or "hang".
 */
import type postgres from "npm:postgres@3.4.9";
import { TEST_SERVICE_ROLE_KEY } from "./env.ts";
import { json, startServer } from "./server.ts";

export type StorageApiMode = "ok" | "error_500" | "hang";

export interface FakeStorageApi {
  url: string;
  mode: StorageApiMode;
  readonly objects: Map<string, { bytes: Uint8Array; contentType: string }>;
  readonly downloads: string[];
  /** Stores a file as a client's PUT to a signed URL would (for tests that skip the signing step). */
  put(bucket: string, path: string, bytes: Uint8Array, contentType: string): Promise<Response>;
  close(): Promise<void>;
}

const PREFIX = "/storage/v1/object/";

export function startFakeStorageApi(sql: postgres.Sql): FakeStorageApi {
  const tokens = new Map<string, string>();
  const fake: FakeStorageApi = {
    url: "",
    mode: "ok",
    objects: new Map(),
    downloads: [],
    put: (bucket, path, bytes, contentType) => store(bucket, path, bytes, contentType),
    close: () => server.close(),
  };

  async function store(bucket: string, path: string, bytes: Uint8Array, contentType: string): Promise<Response> {
    const [rules] = await sql`select file_size_limit, allowed_mime_types from storage.buckets where id = ${bucket}`;
    if (!rules) return json({ statusCode: "404", error: "Bucket not found", message: "Bucket not found" }, 400);
    if (rules.file_size_limit !== null && bytes.length > Number(rules.file_size_limit)) {
      return json({
        statusCode: "413",
        error: "Payload too large",
        message: "The object exceeded the maximum allowed size",
      }, 400);
    }
    const types: string[] | null = rules.allowed_mime_types;
    if (types && types.length > 0 && !types.includes(contentType)) {
      return json({
        statusCode: "415",
        error: "invalid_mime_type",
        message: `mime type ${contentType} is not supported`,
      }, 400);
    }
    const metadata = {
      size: bytes.length,
      mimetype: contentType,
      eTag: `"${bytes.length}"`,
      cacheControl: "max-age=3600",
    };
    try {
      await sql`
        insert into storage.objects (bucket_id, name, metadata) values (${bucket}, ${path}, ${sql.json(metadata)})
        on conflict (bucket_id, name) do update set metadata = excluded.metadata, updated_at = now()`;
    } catch (error) {
      const message = (error as Error).message;
      return json({ statusCode: "500", error: "DatabaseError", message }, 400);
    }
    fake.objects.set(`${bucket}/${path}`, { bytes, contentType });
    return json({ Key: `${bucket}/${path}` });
  }

  const server = startServer(async (req, self) => {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    if (!path.startsWith(PREFIX)) return json({ message: "not faked" }, 404);
    const rest = path.slice(PREFIX.length);
    if (req.method === "PUT" && rest.startsWith("upload/sign/")) {
      const key = rest.slice("upload/sign/".length);
      const token = url.searchParams.get("token");
      if (!token || tokens.get(token) !== key) {
        return json({ statusCode: "400", error: "InvalidSignature", message: "The signature is invalid" }, 400);
      }
      const [bucket, ...parts] = key.split("/");
      const bytes = new Uint8Array(await req.arrayBuffer());
      return await store(bucket, parts.join("/"), bytes, req.headers.get("content-type") ?? "application/octet-stream");
    }
    const authorized = req.headers.get("authorization") === `Bearer ${TEST_SERVICE_ROLE_KEY}` &&
      req.headers.get("apikey") === TEST_SERVICE_ROLE_KEY;
    if (!authorized) return json({ statusCode: "403", error: "Unauthorized", message: "invalid signature" }, 400);
    if (fake.mode === "hang") {
      await self.hang(req);
      return json({}, 504);
    }
    if (fake.mode === "error_500") return json({ statusCode: "500", error: "Internal", message: "s3 down" }, 500);
    if (req.method === "POST" && rest.startsWith("upload/sign/")) {
      const key = rest.slice("upload/sign/".length);
      const token = crypto.randomUUID();
      tokens.set(token, key);
      const encoded = key.split("/").map(encodeURIComponent).join("/");
      return json({ url: `/object/upload/sign/${encoded}?token=${token}` });
    }
    if (req.method === "GET" && rest.startsWith("authenticated/")) {
      const key = rest.slice("authenticated/".length);
      fake.downloads.push(key);
      const object = fake.objects.get(key);
      if (!object) return json({ statusCode: "404", error: "not_found", message: "Object not found" }, 400);
      return new Response(object.bytes.slice(), { headers: { "content-type": object.contentType } });
    }
    return json({ message: `no fake for ${req.method} ${path}` }, 404);
  });
  fake.url = server.url;
  return fake;
}
