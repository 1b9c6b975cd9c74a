/**
 * The local gateway (ops/serve/gateway.ts, what `ops functions serve` runs) behaves like Supabase's: verify_jwt
 * from each function.json, 401 before the function runs when the JWT is missing or invalid, preflights let
 * through; and the guide's curl example for ai-chat-message works through it.
 */
import assert from "node:assert/strict";
import { anonKey } from "./support/jwt.ts";
import { startLocalGateway } from "../../ops/serve/gateway.ts";
import { startWorld } from "./support/world.ts";

Deno.test("gateway: verify_jwt comes from each function.json", async () => {
  await using world = await startWorld();
  const gateway = await startLocalGateway(world.env);
  try {
    assert.equal(gateway.functions.get("health-check")?.verifyJwt, false);
    assert.equal(gateway.functions.get("ai-chat-message")?.verifyJwt, true);
  } finally {
    await gateway.close();
  }
});

Deno.test("gateway: health-check needs no JWT; ai-chat-message without one never reaches the function", async () => {
  await using world = await startWorld();
  const gateway = await startLocalGateway(world.env);
  try {
    const health = await fetch(`${gateway.url}/functions/v1/health-check`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "healthy");

    const missing = await fetch(`${gateway.url}/functions/v1/ai-chat-message`, { method: "POST", body: "{}" });
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { code: 401, message: "Missing authorization header" });

    const invalid = await fetch(`${gateway.url}/functions/v1/ai-chat-message`, {
      method: "POST",
      headers: { authorization: "Bearer not-a-jwt" },
      body: "{}",
    });
    assert.equal(invalid.status, 401);
    assert.deepEqual(await invalid.json(), { code: 401, message: "Invalid JWT" });

    const preflight = await fetch(`${gateway.url}/functions/v1/ai-chat-message`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
    });
    await preflight.body?.cancel();
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /authorization/);

    const unknown = await fetch(`${gateway.url}/functions/v1/no-such-function`);
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
  } finally {
    await gateway.close();
  }
});

Deno.test("guide 000 section 5.4: the ai-chat-message curl example, with the anon key and with a user's token", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);
  const gateway = await startLocalGateway(world.env);
  const curl = async (token: string, conversation: string) =>
    await fetch(`${gateway.url}/functions/v1/ai-chat-message`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        conversation_id: conversation,
        content: "Hello, world!",
        model_provider: "openai",
        model_name: "gpt-4",
      }),
    });
  try {
    // As written in the guide: the anon key passes the gateway, and the function asks for a signed-in user.
    const withAnonKey = await curl(await anonKey(), "test-conv-id");
    assert.equal(withAnonKey.status, 401);
    assert.equal((await withAnonKey.json()).error.code, "sign_in_required");

    const withUser = await curl(user.token, conversationId);
    const body = await withUser.json();
    assert.equal(withUser.status, 200, JSON.stringify(body));
    assert.equal(body.message.role, "assistant");
    assert.equal(body.message.ai_model, "gpt-4");
  } finally {
    await gateway.close();
  }
});
