/**
 * One DocuVault user's path through the gateway, over HTTP as a client would take it: register an upload, PUT the
 * file to the signed URL, confirm it, the worker processes it (called as its schedule calls it), the search finds
 * it, and ai-chat answers citing it.
 */
import assert from "node:assert/strict";
import { startDocumentsWorld } from "./support/documents_world.ts";
import { startLocalGateway } from "../../ops/serve/gateway.ts";

Deno.test("upload, process, search finds the document, ai-chat answers citing it", async () => {
  await using docs = await startDocumentsWorld();
  const gateway = await startLocalGateway(docs.env);
  try {
    const user = await docs.createUser();
    const call = async (name: string, token: string, body: unknown) => {
      const response = await fetch(`${gateway.url}/functions/v1/${name}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      assert.ok(response.ok, `${name} answered ${response.status}: ${JSON.stringify(answer)}`);
      return answer;
    };
    const pages = "Home insurance policy HX-2231\fCovers water damage up to 20000 EUR\fRenewal on 2027-03-01";
    const file = new TextEncoder().encode(pages);
    const registered = await call("document-upload", user.token, {
      file_name: "Home insurance.pdf",
      mime_type: "application/pdf",
      file_size: file.length,
      tags: ["insurance"],
    });
    const put = await fetch(registered.upload.signed_url, {
      method: "PUT",
      headers: { "content-type": "application/pdf" },
      body: file,
    });
    assert.equal(put.status, 200, await put.text());
    const confirmed = await call("document-upload", user.token, { document_id: registered.document.id });
    assert.equal(confirmed.queued, true);

    const run = await call("document-processor", docs.serviceKey, { document_id: registered.document.id });
    assert.equal(run.completed, 1);

    const found = await call("search-engine", user.token, { query: "water damage", filters: { tags: ["insurance"] } });
    assert.equal(found.results[0]?.id, registered.document.id);
    assert.equal(found.results[0].title, "Home insurance");

    const conversation = await docs.createConversation(user.id);
    docs.ai.openai.reply = "Water damage is covered up to 20000 EUR [1].";
    const chat = await call("ai-chat", user.token, {
      conversationId: conversation,
      message: "Is water damage covered?",
    });
    assert.deepEqual(chat.citations, [{ document_id: registered.document.id, title: "Home insurance" }]);
    assert.equal(chat.message.document_id, registered.document.id);
  } finally {
    await gateway.close();
  }
});
