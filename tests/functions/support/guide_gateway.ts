/**
 * Every function behind the local gateway (ops/serve/gateway.ts), with all their fakes (AI providers, automation
 * service, Storage uploads, SMTP), plus a signed-in user who owns one conversation and one active workflow: what
 * the guide's curl examples need. tests/functions/test_guide_curl_examples.py runs it as a subprocess
 * (TEST_DATABASE_URL set) and reads one stdout line starting with READY_MARKER:
 *
 *   GUIDE_GATEWAY_READY {"url", "anon_key", "user_token", "user_id", "conversation_id", "workflow_id"}
 *
 * It serves until its stdin closes. Function logs follow on stdout.
 */
import { startFakeAutomation, WEBHOOK_TEST_SECRET } from "./fake_automation.ts";
import { startFakeSmtp } from "./fake_smtp.ts";
import { startFakeStorageObjects } from "./fake_storage_objects.ts";
import { anonKey } from "./jwt.ts";
import { startLocalGateway } from "../../../ops/serve/gateway.ts";
import { startWorld } from "./world.ts";

export const READY_MARKER = "GUIDE_GATEWAY_READY";

if (import.meta.main) {
  const automation = startFakeAutomation();
  const storage = startFakeStorageObjects();
  const smtp = await startFakeSmtp();
  const world = await startWorld({
    ...smtp.env(),
    SUPABASE_URL: storage.url,
    AUTOMATION_SERVICE_URL: automation.url,
    WEBHOOK_SECRET: WEBHOOK_TEST_SECRET,
  });
  const gateway = await startLocalGateway(world.env);
  const user = await world.createUser();
  const conversationId = await world.createConversation(user.id);
  const [workflow] = await world.sql`
    insert into public.automation_workflows (user_id, name, steps)
    values (${user.id}, 'Guide example', ${world.sql.json([{ action: "goto", url: "https://example.test" }])})
    returning id`;
  console.log(`${READY_MARKER} ${
    JSON.stringify({
      url: gateway.url,
      anon_key: await anonKey(),
      user_token: user.token,
      user_id: user.id,
      conversation_id: conversationId,
      workflow_id: workflow.id,
    })
  }`);
  // Serve until the test closes our stdin.
  for await (const _ of Deno.stdin.readable) { /* nothing to read */ }
  await gateway.close();
  await Promise.all([world.close(), automation.close(), storage.close(), smtp.close()]);
}
