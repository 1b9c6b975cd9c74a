/** document-upload on the migrated database, with Storage's object API faked (its rows land in storage.objects). */
import assert from "node:assert/strict";
import { createHandler } from "../../functions/document-upload/handler.ts";
import { startDocumentsWorld } from "./support/documents_world.ts";
import { request } from "./support/world.ts";

const PDF = { file_name: "passport.pdf", mime_type: "application/pdf", file_size: 2048 };

Deno.test("an upload is registered, signed, stored, confirmed and queued once", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const handler = createHandler(docs.env);
  try {
    const created = await handler.fetch(
      request("document-upload", { token: user.token, body: { ...PDF, tags: ["id"] } }),
    );
    assert.equal(created.status, 201);
    const answer = await created.json();
    assert.equal(answer.document.status, "uploaded");
    assert.ok(answer.document.file_path.startsWith(`${user.id}/`), "the object lives in the owner's folder");
    assert.equal(answer.upload.method, "PUT");
    assert.ok(answer.upload.signed_url.startsWith(`${docs.storage.url}/storage/v1/object/upload/sign/documents/`));

    const early = await handler.fetch(
      request("document-upload", { token: user.token, body: { document_id: answer.document.id } }),
    );
    assert.equal(early.status, 409, "confirming before the file arrived is refused");
    assert.equal((await early.json()).error.code, "upload_missing");

    const bytes = new Uint8Array(2048).fill(65);
    const put = await fetch(answer.upload.signed_url, {
      method: "PUT",
      headers: { "content-type": "application/pdf" },
      body: bytes,
    });
    assert.equal(put.status, 200, await put.text());

    for (let i = 0; i < 2; i++) {
      const confirmed = await handler.fetch(
        request("document-upload", { token: user.token, body: { document_id: answer.document.id } }),
      );
      assert.equal(confirmed.status, 200);
      const body = await confirmed.json();
      assert.equal(body.document.status, "queued");
      assert.equal(body.queued, i === 0, "only the first confirmation queues");
    }
    const jobs = await docs.sql`select status from processing_queue where document_id = ${answer.document.id}`;
    assert.deepEqual(jobs.map((j) => j.status), ["queued"]);
    const [profile] = await docs.sql`select storage_used from profiles where id = ${user.id}`;
    assert.equal(Number(profile.storage_used), 2048, "the quota counts the bytes Storage holds");
  } finally {
    await handler.close();
  }
});

Deno.test("bad input is refused with the field named, and nothing is created", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const handler = createHandler(docs.env);
  try {
    const cases: [unknown, number, string][] = [
      [{ ...PDF, file_name: "../etc/passwd" }, 400, "file_name"],
      [{ ...PDF, file_size: -1 }, 400, "file_size"],
      [{ ...PDF, mime_type: "text/html" }, 415, "text/html"],
      [{ ...PDF, file_size: 52_428_801 }, 413, "52428800"],
      [{ ...PDF, sha256: "xyz" }, 400, "sha256"],
      [{ ...PDF, owner: "someone" }, 400, "unknown"],
      [{ document_id: "not-a-uuid" }, 400, "document_id"],
    ];
    for (const [body, status, mention] of cases) {
      const response = await handler.fetch(request("document-upload", { token: user.token, body }));
      const answer = await response.json();
      assert.equal(response.status, status, JSON.stringify(answer));
      assert.ok(answer.error.message.includes(mention), `${answer.error.message} should mention ${mention}`);
    }
    const [{ count }] = await docs.sql`select count(*)::int from documents where user_id = ${user.id}`;
    assert.equal(count, 0);
  } finally {
    await handler.close();
  }
});

Deno.test("the quota counts stored bytes and reserved uploads, and refuses what does not fit", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  await docs.sql`update profiles set storage_limit = 10000 where id = ${user.id}`;
  const handler = createHandler(docs.env);
  try {
    await docs.upload(user, { fileName: "a.pdf", mimeType: "application/pdf", text: "x".repeat(6000) });
    const reserved = await handler.fetch(
      request("document-upload", { token: user.token, body: { ...PDF, file_size: 3000 } }),
    );
    assert.equal(reserved.status, 201);
    const tooMuch = await handler.fetch(
      request("document-upload", { token: user.token, body: { ...PDF, file_size: 1500 } }),
    );
    assert.equal(tooMuch.status, 413);
    const error = (await tooMuch.json()).error;
    assert.equal(error.code, "storage_quota_exceeded");
    assert.deepEqual(error.details, { used: 6000, limit: 10000, reserved: 3000, requested: 1500 });

    // A client that declares a small size and PUTs a large file is stopped by the database, not the function.
    const liar =
      await (await handler.fetch(request("document-upload", { token: user.token, body: { ...PDF, file_size: 10 } })))
        .json();
    assert.equal(liar.document.status, "uploaded", JSON.stringify(liar));
    const put = await fetch(liar.upload.signed_url, {
      method: "PUT",
      headers: { "content-type": "application/pdf" },
      body: new Uint8Array(5000),
    });
    assert.match(await put.text(), /storage limit reached/);
    const [profile] = await docs.sql`select storage_used from profiles where id = ${user.id}`;
    assert.equal(Number(profile.storage_used), 6000, "the refused object is not counted");
    const objects = await docs.sql`select name from storage.objects where name = ${liar.document.file_path}`;
    assert.equal(objects.length, 0, "and not kept");
  } finally {
    await handler.close();
  }
});

Deno.test("a duplicate upload (same content hash) is recognised without a new document", async () => {
  await using docs = await startDocumentsWorld();
  const user = await docs.createUser();
  const doc = await docs.upload(user, { fileName: "bill.png", mimeType: "image/png", text: "Electricity bill March" });
  await docs.process(doc.id);
  const [{ content_sha256 }] = await docs.sql`select content_sha256 from documents where id = ${doc.id}`;
  const handler = createHandler(docs.env);
  try {
    const again = await handler.fetch(request("document-upload", {
      token: user.token,
      body: { file_name: "bill copy.png", mime_type: "image/png", file_size: 22, sha256: content_sha256 },
    }));
    assert.equal(again.status, 200);
    const body = await again.json();
    assert.equal(body.duplicate, true);
    assert.equal(body.document.id, doc.id);
    const other = await docs.createUser();
    const elsewhere = await handler.fetch(request("document-upload", {
      token: other.token,
      body: { file_name: "bill.png", mime_type: "image/png", file_size: 22, sha256: content_sha256 },
    }));
    assert.equal(elsewhere.status, 201, "another user's document with the same bytes is not revealed");
  } finally {
    await handler.close();
  }
});

Deno.test("another user's document cannot be confirmed, and a shared one neither", async () => {
  await using docs = await startDocumentsWorld();
  const owner = await docs.createUser();
  const member = await docs.createUser();
  const handler = createHandler(docs.env);
  try {
    const created = await (await handler.fetch(request("document-upload", { token: owner.token, body: PDF }))).json();
    const [vault] = await docs
      .sql`insert into family_vaults (owner_id, name) values (${owner.id}, 'Family') returning id`;
    await docs.sql`insert into family_members (vault_id, user_id, role) values (${vault.id}, ${member.id}, 'member')`;
    await docs.sql`
      insert into family_vault_documents (vault_id, document_id, shared_by)
      values (${vault.id}, ${created.document.id}, ${owner.id})`;
    for (const token of [member.token, (await docs.createUser()).token]) {
      const response = await handler.fetch(
        request("document-upload", { token, body: { document_id: created.document.id } }),
      );
      assert.equal(response.status, 404);
      assert.equal((await response.json()).error.code, "document_not_found");
    }
  } finally {
    await handler.close();
  }
});

Deno.test("the rate limit is checked first, and Storage failures leave no document behind", async () => {
  await using docs = await startDocumentsWorld({ STORAGE_TIMEOUT_MS: "300" });
  const user = await docs.createUser();
  const handler = createHandler(docs.env);
  try {
    docs.storage.mode = "error_500";
    const failed = await handler.fetch(request("document-upload", { token: user.token, body: PDF }));
    assert.equal(failed.status, 503);
    assert.equal((await failed.json()).error.code, "storage_unavailable");
    const [{ count }] = await docs.sql`select count(*)::int from documents where user_id = ${user.id}`;
    assert.equal(count, 0, "the row made before Storage was asked is removed");

    await docs.setRequestsThisHour(user.id, "document-upload", 100);
    const limited = await handler.fetch(request("document-upload", { token: user.token, body: PDF }));
    assert.equal(limited.status, 429);
    assert.ok(limited.headers.get("retry-after"));
    const anonymous = await handler.fetch(request("document-upload", { body: PDF }));
    assert.equal(anonymous.status, 401);
  } finally {
    await handler.close();
  }
});
