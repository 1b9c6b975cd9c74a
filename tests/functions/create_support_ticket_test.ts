/**
 * create-support-ticket against the migrated database and a real SMTP server on loopback: the ticket, its number
 * and SLA due date, the e-mail the desk receives, bad input named field by field, the rate limit, and a failing
 * relay that must not lose the ticket. Nothing secret may appear in an answer or a log line.
 */
import assert from "node:assert/strict";
import { createHandler, NAME } from "../../functions/create-support-ticket/handler.ts";
import { CATEGORIES, PRIORITIES } from "../../functions/create-support-ticket/request.ts";
import { captureConsole } from "./support/console_capture.ts";
import { ALL_TEST_SECRETS } from "./support/env.ts";
import { type FakeSmtp, SMTP_TEST_PASSWORD, SMTP_TEST_USER, startFakeSmtp } from "./support/fake_smtp.ts";
import { anonKey } from "./support/jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

const GUIDE_TICKET = {
  title: "Test Ticket",
  description: "Testing ticket creation",
  priority: "medium",
  category: "incident",
};
const HOUR_MS = 3600_000;

// JSON answers are checked field by field; typing each shape would only restate the assertions.
// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Setup extends AsyncDisposable {
  world: TestWorld;
  smtp: FakeSmtp;
  user: TestUser;
  call(body: unknown, token?: string): Promise<{ status: number; headers: Headers; body: Loose }>;
}

/** A world whose handler mails the fake SMTP server; `env` overrides (undefined removes a variable). */
async function setup(env: Record<string, string | undefined> = {}): Promise<Setup> {
  const smtp = await startFakeSmtp();
  const world = await startWorld({ ...smtp.env(), ...env });
  const handler = createHandler(world.env);
  const user = await world.createUser();
  return {
    world,
    smtp,
    user,
    async call(body, token = user.token) {
      const response = await handler.fetch(request(NAME, { body, token }));
      return { status: response.status, headers: response.headers, body: await response.json() };
    },
    async [Symbol.asyncDispose]() {
      await handler.close();
      await Promise.all([world.close(), smtp.close()]);
    },
  };
}

async function ticketCount(world: TestWorld, userId: string): Promise<number> {
  const [row] = await world.sql`select count(*)::int as n from public.support_tickets where user_id = ${userId}`;
  return row.n;
}

function assertNoSecrets(text: string): void {
  for (const secret of [...ALL_TEST_SECRETS, SMTP_TEST_PASSWORD]) {
    assert.ok(!text.includes(secret), `a secret leaked: ${secret.slice(0, 6)}...`);
  }
}

Deno.test("the guide's ticket is created with a number, an SLA due date, and the desk gets an e-mail", async () => {
  await using s = await setup();
  const { status, body } = await s.call(GUIDE_TICKET);
  assert.equal(status, 201, JSON.stringify(body));
  const ticket = body.ticket;
  assert.match(ticket.ticket_number, /^TKT-\d{6,}$/);
  assert.equal(ticket.status, "open");
  assert.equal(Date.parse(ticket.due_at) - Date.parse(ticket.created_at), 72 * HOUR_MS, "medium: 72 hours");
  assert.deepEqual(body.notification, { email: "sent" });

  const [row] = await s.world.sql`
    select user_id, title, description, priority, category, ticket_number from public.support_tickets
    where id = ${ticket.id}`;
  assert.deepEqual({ ...row }, { user_id: s.user.id, ...GUIDE_TICKET, ticket_number: ticket.ticket_number });

  assert.equal(s.smtp.messages.length, 1);
  const mail = s.smtp.messages[0];
  assert.deepEqual(mail.to, ["helpdesk@platform.example.test"]);
  assert.equal(mail.from, "tickets@platform.example.test");
  assert.equal(mail.header("subject"), `[${ticket.ticket_number}] medium incident: Test Ticket`);
  assert.equal(mail.header("reply-to"), s.user.email);
  assert.match(mail.raw, /Testing ticket creation/);
  assert.deepEqual(s.smtp.logins, [SMTP_TEST_USER]);
});

Deno.test("each priority's due date follows the SLA, and omitted fields take the table's defaults", async () => {
  await using s = await setup({ SMTP_HOST: undefined });
  const sla = { critical: 4, high: 24, medium: 72, low: 7 * 24 };
  for (const [priority, hours] of Object.entries(sla)) {
    const { body } = await s.call({ title: `A ${priority} problem`, priority });
    assert.equal(Date.parse(body.ticket.due_at) - Date.parse(body.ticket.created_at), hours * HOUR_MS, priority);
  }
  const { status, body } = await s.call({ title: "Only a title" });
  assert.equal(status, 201);
  assert.equal(body.ticket.priority, "medium");
  assert.equal(body.ticket.category, "incident");
  assert.equal(body.ticket.description, null);
});

Deno.test("bad input is refused with a message naming each field, and nothing is written", async (t) => {
  await using s = await setup();
  const cases: [string, unknown, RegExp][] = [
    ["missing title", { description: "no title" }, /title: is required/],
    ["blank title", { title: "   " }, /title: must not be empty/],
    ["two-line title", { title: "Subject\r\nBcc: victim@example.test" }, /title: must be a single line/],
    ["long title", { title: "x".repeat(301) }, /title: must be at most 300 characters/],
    ["priority", { title: "t", priority: "urgent" }, /priority: must be one of low, medium, high, critical/],
    ["category", { title: "t", category: "hardware" }, /category: must be one of incident, service_request/],
    ["description", { title: "t", description: 42 }, /description: must be a string/],
    ["a field users may not set", { title: "t", user_id: crypto.randomUUID() }, /user_id/],
    ["several fields at once", { priority: "p1", category: "c1" }, /title: .*priority: .*category: /],
    ["not an object", ["title"], /body: must be a JSON object/],
  ];
  for (const [name, payload, message] of cases) {
    await t.step(name, async () => {
      const { status, body } = await s.call(payload);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error.code, "invalid_request");
      assert.match(body.error.message, message);
    });
  }
  const { status, body } = await s.call("{not json");
  assert.equal(status, 400);
  assert.equal(body.error.code, "invalid_json");
  assert.equal(await ticketCount(s.world, s.user.id), 0);
  assert.equal(s.smtp.messages.length, 0);
});

Deno.test("the function's priorities and categories are the table's check constraints", async () => {
  await using s = await setup();
  const allowed = async (column: string) => {
    const [row] = await s.world.sql`
      select pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = 'public.support_tickets'::regclass and contype = 'c'
        and pg_get_constraintdef(oid) like ${`%(${column} = ANY%`}`;
    return [...row.def.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]).sort();
  };
  assert.deepEqual(await allowed("priority"), [...PRIORITIES].sort());
  assert.deepEqual(await allowed("category"), [...CATEGORIES].sort());
});

Deno.test("over the hourly limit: 429 with Retry-After, and no ticket", async () => {
  await using s = await setup();
  await s.world.setRequestsThisHour(s.user.id, NAME, 100);
  const { status, headers, body } = await s.call(GUIDE_TICKET);
  assert.equal(status, 429);
  assert.equal(body.error.code, "rate_limited");
  assert.ok(Number(headers.get("retry-after")) > 0, "Retry-After in seconds");
  assert.equal(await ticketCount(s.world, s.user.id), 0);
  assert.equal(s.smtp.messages.length, 0);
});

Deno.test("the anon key is told to sign in", async () => {
  await using s = await setup();
  const { status, body } = await s.call(GUIDE_TICKET, await anonKey());
  assert.equal(status, 401);
  assert.equal(body.error.code, "sign_in_required");
});

Deno.test("without SMTP_HOST the ticket is created and the answer says no e-mail is configured", async () => {
  await using s = await setup({ SMTP_HOST: undefined });
  const { status, body } = await s.call(GUIDE_TICKET);
  assert.equal(status, 201);
  assert.deepEqual(body.notification, { email: "not_configured" });
  assert.equal(await ticketCount(s.world, s.user.id), 1);
});

Deno.test("a failing relay does not lose the ticket; the answer and logs say so without secrets", async (t) => {
  const failures: [string, (s: Setup) => void, Record<string, string | undefined>][] = [
    ["relay rejects the message", (s) => s.smtp.mode = "reject", {}],
    ["relay refuses the login", (s) => s.smtp.mode = "refuse_login", {}],
    ["relay unreachable", () => {}, { SMTP_PORT: "1" }],
    ["SUPPORT_EMAIL_TO missing", () => {}, { SUPPORT_EMAIL_TO: undefined }],
  ];
  for (const [name, breakIt, env] of failures) {
    await t.step(name, async () => {
      await using s = await setup(env);
      breakIt(s);
      const { result, output } = await captureConsole(() => s.call(GUIDE_TICKET));
      assert.equal(result.status, 201, JSON.stringify(result.body));
      assert.deepEqual(result.body.notification, { email: "failed" });
      assert.equal(await ticketCount(s.world, s.user.id), 1);
      assert.equal(s.smtp.messages.length, 0);
      const logged = output.records().find((r) => r.msg === "support e-mail not sent");
      assert.ok(logged, `the failure is logged: ${output.text()}`);
      assertNoSecrets(output.text() + JSON.stringify(result.body));
    });
  }
});

Deno.test("STARTTLS is required by default: a relay without it never receives the credentials", async () => {
  await using s = await setup({ SMTP_TLS: undefined });
  const { status, body } = await s.call(GUIDE_TICKET);
  assert.equal(status, 201);
  assert.deepEqual(body.notification, { email: "failed" });
  assert.deepEqual(s.smtp.logins, [], "no AUTH over a plain connection");
  assert.equal(s.smtp.messages.length, 0);
});

Deno.test("a successful request logs the ticket without any secret", async () => {
  await using s = await setup();
  const { result, output } = await captureConsole(() => s.call(GUIDE_TICKET));
  assert.equal(result.status, 201);
  const created = output.records().find((r) => r.msg === "ticket created");
  assert.equal(created?.ticket_number, result.body.ticket.ticket_number);
  assertNoSecrets(output.text() + JSON.stringify(result.body));
});
