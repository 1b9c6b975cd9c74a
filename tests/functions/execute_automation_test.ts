/**
 * execute-automation against the migrated database, a fake automation service that verifies the HMAC signature,
 * and a fake Storage API: the job's life (queued, running, succeeded or failed) as the database records it, the
 * result in the automation-results bucket, one job per request however often it is repeated, refusals (another
 * user's or an inactive workflow, bad input, the rate limit), and failures of the service (errors, timeouts).
 */
import assert from "node:assert/strict";
import { createHandler, NAME } from "../../functions/execute-automation/handler.ts";
import { captureConsole } from "./support/console_capture.ts";
import { ALL_TEST_SECRETS } from "./support/env.ts";
import { type FakeAutomation, startFakeAutomation, WEBHOOK_TEST_SECRET } from "./support/fake_automation.ts";
import { type FakeStorageObjects, startFakeStorageObjects } from "./support/fake_storage_objects.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

const STEPS = [{ action: "goto", url: "https://shop.example.test" }, { action: "screenshot" }];

// JSON answers and rows are checked field by field; typing each shape would only restate the assertions.
// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Answer {
  status: number;
  headers: Headers;
  body: Loose;
}

interface Setup extends AsyncDisposable {
  world: TestWorld;
  service: FakeAutomation;
  storage: FakeStorageObjects;
  user: TestUser;
  workflowId: string;
  call(body: unknown, options?: { token?: string; key?: string }): Promise<Answer>;
  createWorkflow(userId: string, fields?: { isActive?: boolean }): Promise<string>;
  job(id: string): Promise<Loose>;
  jobCount(userId?: string): Promise<number>;
}

async function setup(env: Record<string, string | undefined> = {}): Promise<Setup> {
  const service = startFakeAutomation();
  const storage = startFakeStorageObjects();
  const world = await startWorld({
    SUPABASE_URL: storage.url,
    AUTOMATION_SERVICE_URL: service.url,
    WEBHOOK_SECRET: WEBHOOK_TEST_SECRET,
    AUTOMATION_TIMEOUT_MS: "2000",
    ...env,
  });
  const handler = createHandler(world.env);
  const user = await world.createUser();
  const createWorkflow = async (userId: string, fields: { isActive?: boolean } = {}) => {
    const [row] = await world.sql`
      insert into public.automation_workflows (user_id, name, steps, is_active)
      values (${userId}, 'Price check', ${world.sql.json(STEPS)}, ${fields.isActive ?? true}) returning id`;
    return row.id as string;
  };
  const workflowId = await createWorkflow(user.id);
  return {
    world,
    service,
    storage,
    user,
    workflowId,
    createWorkflow,
    async call(body, options = {}) {
      const headers: Record<string, string> = options.key === undefined ? {} : { "Idempotency-Key": options.key };
      const response = await handler.fetch(request(NAME, { body, token: options.token ?? user.token, headers }));
      return { status: response.status, headers: response.headers, body: await response.json() };
    },
    async job(id) {
      const [row] = await world.sql`select * from public.automation_jobs where id = ${id}`;
      return row;
    },
    async jobCount(userId = user.id) {
      const [row] = await world.sql`select count(*)::int as n from public.automation_jobs where user_id = ${userId}`;
      return row.n;
    },
    async [Symbol.asyncDispose]() {
      await handler.close();
      await Promise.all([world.close(), service.close(), storage.close()]);
    },
  };
}

/** Every status a job of this test's world took, in order, recorded by a trigger installed for the tests. */
async function recordStatuses(world: TestWorld): Promise<(jobId: string) => Promise<string[]>> {
  await world.sql.unsafe(`
    create schema if not exists test_audit;
    create table if not exists test_audit.job_statuses (
      seq bigserial primary key, job_id uuid not null, status text not null);
    create or replace function test_audit.record_job_status() returns trigger
      language plpgsql security definer set search_path = '' as $$
      begin
        if tg_op = 'INSERT' or new.status is distinct from old.status then
          insert into test_audit.job_statuses (job_id, status) values (new.id, new.status);
        end if;
        return new;
      end $$;
    create or replace trigger zz_test_record_job_status after insert or update on public.automation_jobs
      for each row execute function test_audit.record_job_status();`);
  return async (jobId) => {
    const rows = await world.sql`select status from test_audit.job_statuses where job_id = ${jobId} order by seq`;
    return rows.map((r) => r.status);
  };
}

function assertNoSecrets(text: string): void {
  for (const secret of [...ALL_TEST_SECRETS, WEBHOOK_TEST_SECRET]) {
    assert.ok(!text.includes(secret), `a secret leaked: ${secret.slice(0, 6)}...`);
  }
}

Deno.test("a run: queued, running, succeeded; signed call; result in the user's folder of automation-results", async () => {
  await using s = await setup();
  const statuses = await recordStatuses(s.world);
  let statusDuringCall = "";
  s.service.onAccepted = async (delivery) => {
    statusDuringCall = (await s.job(String(delivery.body?.job_id))).status;
  };
  const { status, body } = await s.call({ workflow_id: s.workflowId, input: { sku: "A-1" } });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.deduplicated, false);
  assert.deepEqual(body.result, s.service.result);
  const job = body.job;
  assert.equal(job.status, "succeeded");
  assert.equal(job.result_path, `${s.user.id}/${job.id}.json`);

  assert.equal(statusDuringCall, "running", "the job is running while the service works");
  assert.deepEqual(await statuses(job.id), ["queued", "running", "succeeded"]);
  const row = await s.job(job.id);
  assert.deepEqual(row.result, s.service.result);
  assert.deepEqual(row.input, { sku: "A-1" });
  assert.ok(row.started_at && row.completed_at && row.started_at <= row.completed_at);
  assert.equal(row.error_message, null);
  const [workflow] = await s.world.sql`select last_run_at from public.automation_workflows where id = ${s.workflowId}`;
  assert.ok(workflow.last_run_at, "the workflow's last_run_at is set");

  const stored = s.storage.objects.get(`automation-results/${job.result_path}`);
  assert.ok(stored, `stored objects: ${[...s.storage.objects.keys()]}`);
  assert.deepEqual(JSON.parse(stored.body), s.service.result);
  assert.equal(stored.contentType, "application/json");

  const [delivery] = s.service.accepted();
  assert.equal(s.service.deliveries.length, 1);
  assert.equal(delivery.headers.get("x-webhook-id"), job.id);
  assert.deepEqual({ ...delivery.body, requested_at: undefined }, {
    job_id: job.id,
    workflow_id: s.workflowId,
    user_id: s.user.id,
    workflow: { name: "Price check", steps: STEPS },
    input: { sku: "A-1" },
    requested_at: undefined,
  });
});

Deno.test("the fake service refuses a request signed with another secret, and the job fails", async () => {
  await using s = await setup({ WEBHOOK_SECRET: "not-the-services-secret-0000" });
  const { status, body } = await s.call({ workflow_id: s.workflowId });
  assert.equal(status, 502);
  assert.equal(body.error.code, "automation_failed");
  assert.equal(s.service.deliveries[0].refused, "bad signature");
  assert.equal((await s.job(body.error.details.job.id)).error_message, "the automation service answered HTTP 401");
});

Deno.test("bad input is refused naming the field, before any job or call", async (t) => {
  await using s = await setup();
  const cases: [string, unknown, string | undefined, RegExp][] = [
    ["missing workflow_id", {}, undefined, /workflow_id: is required/],
    ["the guide's placeholder id", { workflow_id: "test-workflow-id" }, undefined, /workflow_id: must be a UUID/],
    ["input not an object", { workflow_id: s.workflowId, input: "go" }, undefined, /input: must be a JSON object/],
    ["unknown field", { workflow_id: s.workflowId, status: "succeeded" }, undefined, /status/],
    ["Idempotency-Key with a space", { workflow_id: s.workflowId }, "two words", /Idempotency-Key: must be 1 to 255/],
    ["Idempotency-Key too long", { workflow_id: s.workflowId }, "k".repeat(256), /Idempotency-Key: must be 1 to 255/],
  ];
  for (const [name, payload, key, message] of cases) {
    await t.step(name, async () => {
      const { status, body } = await s.call(payload, { key });
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error.code, "invalid_request");
      assert.match(body.error.message, message);
    });
  }
  assert.equal(await s.jobCount(), 0);
  assert.equal(s.service.deliveries.length, 0);
});

Deno.test("another user's workflow is not found, and an inactive workflow is refused", async () => {
  await using s = await setup();
  const stranger = await s.world.createUser();
  const theirs = await s.createWorkflow(stranger.id);
  const notFound = await s.call({ workflow_id: theirs });
  assert.equal(notFound.status, 404);
  assert.equal(notFound.body.error.code, "workflow_not_found");
  assert.match(notFound.body.error.message, /^workflow_id: /);

  const paused = await s.createWorkflow(s.user.id, { isActive: false });
  const inactive = await s.call({ workflow_id: paused });
  assert.equal(inactive.status, 409);
  assert.equal(inactive.body.error.code, "workflow_inactive");

  assert.equal(await s.jobCount(s.user.id) + await s.jobCount(stranger.id), 0);
  assert.equal(s.service.deliveries.length, 0);
});

Deno.test("over the hourly limit: 429 with Retry-After, and no job", async () => {
  await using s = await setup();
  await s.world.setRequestsThisHour(s.user.id, NAME, 100);
  const { status, headers, body } = await s.call({ workflow_id: s.workflowId });
  assert.equal(status, 429);
  assert.equal(body.error.code, "rate_limited");
  assert.ok(Number(headers.get("retry-after")) > 0);
  assert.equal(await s.jobCount(), 0);
});

Deno.test("a service that hangs past AUTOMATION_TIMEOUT_MS fails the job with 504", async () => {
  await using s = await setup({ AUTOMATION_TIMEOUT_MS: "300" });
  const statuses = await recordStatuses(s.world);
  s.service.mode = "hang";
  const started = performance.now();
  const { status, body } = await s.call({ workflow_id: s.workflowId });
  assert.ok(performance.now() - started < 2000, "the deadline is kept");
  assert.equal(status, 504);
  assert.equal(body.error.code, "automation_timeout");
  const job = await s.job(body.error.details.job.id);
  assert.equal(job.status, "failed");
  assert.equal(job.error_message, "the automation service did not answer within 300 ms");
  assert.ok(job.completed_at);
  assert.deepEqual(await statuses(job.id), ["queued", "running", "failed"]);
  assert.equal(s.storage.objects.size, 0);
});

Deno.test("service errors, non-JSON answers and Storage failures fail the job with a reason", async (t) => {
  const cases: [string, (s: Setup) => void, number, string, string][] = [
    ["service 500", (s) => s.service.mode = "error_500", 502, "automation_failed", "answered HTTP 500"],
    ["not JSON", (s) => s.service.mode = "not_json", 502, "automation_failed", "answered HTTP 200 but not with JSON"],
    ["Storage 500", (s) => s.storage.mode = "error_500", 502, "result_not_stored", "Storage refused to write"],
  ];
  for (const [name, breakIt, httpStatus, code, reason] of cases) {
    await t.step(name, async () => {
      await using s = await setup();
      breakIt(s);
      const { result, output } = await captureConsole(() => s.call({ workflow_id: s.workflowId }));
      assert.equal(result.status, httpStatus, JSON.stringify(result.body));
      assert.equal(result.body.error.code, code);
      const job = await s.job(result.body.error.details.job.id);
      assert.equal(job.status, "failed");
      assert.ok(job.error_message.includes(reason), job.error_message);
      assert.equal(job.result_path, null);
      assertNoSecrets(output.text() + JSON.stringify(result.body) + job.error_message);
    });
  }
  await t.step("the service unreachable", async () => {
    await using s = await setup({ AUTOMATION_SERVICE_URL: "http://127.0.0.1:1/run" });
    const { status, body } = await s.call({ workflow_id: s.workflowId });
    assert.equal(status, 502);
    assert.equal((await s.job(body.error.details.job.id)).error_message, "the automation service could not be reached");
  });
});

Deno.test("the same Idempotency-Key gives the same job and calls the service once", async () => {
  await using s = await setup();
  const first = await s.call({ workflow_id: s.workflowId }, { key: "retry-7d1c" });
  const second = await s.call({ workflow_id: s.workflowId }, { key: "retry-7d1c" });
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  assert.equal(second.body.deduplicated, true);
  assert.equal(second.body.job.id, first.body.job.id);
  assert.equal(second.body.job.status, "succeeded");
  assert.equal(s.service.deliveries.length, 1);
  assert.equal(await s.jobCount(), 1);

  const otherWorkflow = await s.createWorkflow(s.user.id);
  const reused = await s.call({ workflow_id: otherWorkflow }, { key: "retry-7d1c" });
  assert.equal(reused.status, 422);
  assert.equal(reused.body.error.code, "idempotency_key_reused");
  // Without a key, a finished workflow runs again.
  const again = await s.call({ workflow_id: s.workflowId });
  assert.equal(again.status, 200);
  assert.notEqual(again.body.job.id, first.body.job.id);
  assert.equal(s.service.deliveries.length, 2);
});

Deno.test("a request while the workflow's job is running gets that job (202), not a second run", async () => {
  await using s = await setup();
  let second: Answer | undefined;
  s.service.onAccepted = async () => {
    second = await s.call({ workflow_id: s.workflowId });
  };
  const first = await s.call({ workflow_id: s.workflowId });
  assert.equal(first.status, 200);
  assert.ok(second);
  assert.equal(second.status, 202);
  assert.equal(second.body.deduplicated, true);
  assert.equal(second.body.job.id, first.body.job.id);
  assert.equal(second.body.job.status, "running");
  assert.equal(s.service.deliveries.length, 1);
  assert.equal(await s.jobCount(), 1);
});

Deno.test("a job abandoned long ago is failed, so the workflow can run again", async () => {
  await using s = await setup();
  const [stuck] = await s.world.sql`
    insert into public.automation_jobs (workflow_id, user_id, status, started_at, created_at)
    values (${s.workflowId}, ${s.user.id}, 'running', now() - interval '11 minutes', now() - interval '11 minutes')
    returning id`;
  const { status, body } = await s.call({ workflow_id: s.workflowId });
  assert.equal(status, 200);
  assert.notEqual(body.job.id, stuck.id);
  const old = await s.job(stuck.id);
  assert.equal(old.status, "failed");
  assert.match(old.error_message, /^abandoned/);
});

Deno.test("without AUTOMATION_SERVICE_URL: 500 naming the setting, and no job is left queued", async () => {
  await using s = await setup({ AUTOMATION_SERVICE_URL: undefined });
  const { status, body } = await s.call({ workflow_id: s.workflowId });
  assert.equal(status, 500);
  assert.equal(body.error.code, "server_misconfigured");
  assert.match(body.error.message, /AUTOMATION_SERVICE_URL/);
  assert.equal(await s.jobCount(), 0);
});

Deno.test("an http:// automation service off this machine is refused before a job is queued", async () => {
  await using s = await setup({ AUTOMATION_SERVICE_URL: "http://automation.example.com/run" });
  const { status, body } = await s.call({ workflow_id: s.workflowId });
  assert.equal(status, 500);
  assert.match(body.error.message, /AUTOMATION_SERVICE_URL must be an https:\/\/ URL/);
  assert.equal(await s.jobCount(), 0);
});

Deno.test("a successful run logs ids, never a secret", async () => {
  await using s = await setup();
  const { result, output } = await captureConsole(() => s.call({ workflow_id: s.workflowId }));
  assert.equal(result.status, 200);
  assert.ok(output.records().some((r) => r.msg === "automation job succeeded" && r.job_id === result.body.job.id));
  assertNoSecrets(output.text() + JSON.stringify(result.body));
});
