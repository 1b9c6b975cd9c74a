/**
 * data-export against the migrated database and Storage's signing stand-in: one request a day (429 with
 * Retry-After), the list of the caller's exports only, and a signed URL that serves the archive of a ready one.
 */
import assert from "node:assert/strict";
import { createHandler, DOWNLOAD_URL_SECONDS, NAME } from "../../functions/data-export/handler.ts";
import { startFakeStorageSigning } from "./support/fake_storage_signing.ts";
import { request, startWorld, type TestWorld } from "./support/world.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

async function call(
  world: TestWorld,
  token: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: Loose }> {
  const handler = createHandler(world.env);
  try {
    const response = await handler.fetch(request(NAME, { body, token, method: body === undefined ? "GET" : "POST" }));
    return { status: response.status, headers: response.headers, body: await response.json() };
  } finally {
    await handler.close();
  }
}

Deno.test("one export request a day; the second is a 429 saying when to ask again", async () => {
  const storage = startFakeStorageSigning();
  await using world = await startWorld({ SUPABASE_URL: storage.url });
  try {
    const user = await world.createUser();
    const first = await call(world, user.token, {});
    const second = await call(world, user.token, {});
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.status, "requested");
    assert.equal(second.status, 429);
    assert.equal(second.body.error.code, "export_rate_limited");
    const wait = Number(second.headers.get("retry-after"));
    assert.ok(wait > 86000 && wait <= 86400, `Retry-After ${wait}`);
  } finally {
    await storage.close();
  }
});

Deno.test("a ready export comes with a signed URL that serves its archive; others' exports are not listed", async () => {
  const storage = startFakeStorageSigning();
  await using world = await startWorld({ SUPABASE_URL: storage.url });
  try {
    const [user, other] = [await world.createUser(), await world.createUser()];
    const name = `${user.id}/exports/archive.zip`;
    storage.objects.set(`exports/${name}`, "PK-archive");
    await world.sql`insert into private.data_exports (user_id, status, object_name, size_bytes, expires_at)
                    values (${user.id}, 'ready', ${name}, 10, now() + interval '7 days')`;
    await world.sql`insert into private.data_exports (user_id) values (${other.id})`;

    const listed = await call(world, user.token);

    assert.equal(listed.status, 200);
    assert.equal(listed.body.exports.length, 1);
    const [ready] = listed.body.exports;
    assert.equal(ready.status, "ready");
    assert.equal(ready.size_bytes, 10);
    assert.deepEqual(storage.signed.at(-1), { key: `exports/${name}`, expiresIn: DOWNLOAD_URL_SECONDS });
    const download = await fetch(ready.download_url);
    assert.equal(await download.text(), "PK-archive");
  } finally {
    await storage.close();
  }
});
