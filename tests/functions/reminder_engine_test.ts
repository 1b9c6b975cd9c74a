/**
 * reminder-engine against the migrated database and stand-ins for SendGrid, Resend, Twilio and FCM HTTP v1 (with
 * Google's token endpoint checking the service account's RS256 assertion): each due reminder sent once on its
 * channel even when runs overlap, recurring reminders moved on, failed channels retried and then reported,
 * permanent failures reported at once, the money-costing limits, and who may run the engine.
 *
 * The database is shared with other tests and the engine claims every due reminder, so assertions look only at
 * this test's users (their addresses at the stand-ins, their rows).
 */
import assert from "node:assert/strict";
import { createHandler, NAME } from "../../functions/reminder-engine/handler.ts";
import { markSent } from "../../functions/reminder-engine/reminders.ts";
import { GoogleTokenSource } from "../../functions/reminder-engine/channels/google_oauth.ts";
import { sendPush } from "../../functions/reminder-engine/channels/push.ts";
import { ChannelFailure } from "../../functions/_shared/messaging/failure.ts";
import { redactText, secretsFromEnv } from "../../functions/_shared/log.ts";
import { createDatabase } from "../../functions/_shared/db.ts";
import { type FakeFcm, startFakeFcm } from "./support/fake_fcm.ts";
import { type FakeResend, RESEND_TEST_KEY, startFakeResend } from "./support/fake_resend.ts";
import { type FakeSendGrid, SENDGRID_TEST_KEY, startFakeSendGrid } from "./support/fake_sendgrid.ts";
import {
  type FakeTwilio,
  startFakeTwilio,
  TWILIO_TEST_FROM,
  TWILIO_TEST_SID,
  TWILIO_TEST_TOKEN,
} from "./support/fake_twilio.ts";
import { captureConsole } from "./support/console_capture.ts";
import { anonKey, serviceRoleKey } from "./support/jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Contact extends TestUser {
  phone: string;
  device: string;
}

interface Setup extends AsyncDisposable {
  world: TestWorld;
  sendgrid: FakeSendGrid;
  resend: FakeResend;
  twilio: FakeTwilio;
  fcm: FakeFcm;
  env: Record<string, string>;
  /** A user with a confirmed e-mail address and phone number and one push device. */
  contact(): Promise<Contact>;
  reminder(user: TestUser, fields?: Loose): Promise<string>;
  run(options?: { token?: string; body?: unknown; handler?: { fetch(r: Request): Promise<Response> } }): Promise<Loose>;
  row(id: string): Promise<Loose>;
  deliveries(id: string): Promise<Loose[]>;
  /** As if the retry wait were over. */
  dueNow(id: string): Promise<void>;
  newHandler(): ReturnType<typeof createHandler>;
}

async function setup(env: Record<string, string | undefined> = {}): Promise<Setup> {
  const [sendgrid, resend, twilio, fcm] = [
    startFakeSendGrid(),
    startFakeResend(),
    startFakeTwilio(),
    await startFakeFcm(),
  ];
  const world = await startWorld({
    REMINDER_EMAIL_FROM: "reminders@docuvault.example.test",
    SENDGRID_API_KEY: SENDGRID_TEST_KEY,
    SENDGRID_BASE_URL: sendgrid.url,
    RESEND_API_KEY: RESEND_TEST_KEY,
    RESEND_BASE_URL: resend.url,
    TWILIO_ACCOUNT_SID: TWILIO_TEST_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN,
    TWILIO_PHONE_NUMBER: TWILIO_TEST_FROM,
    TWILIO_BASE_URL: twilio.url,
    FIREBASE_SERVICE_ACCOUNT: fcm.serviceAccountJson,
    FCM_BASE_URL: fcm.url,
    REMINDER_PROVIDER_TIMEOUT_MS: "2000",
    ...env,
  });
  const handlers: ReturnType<typeof createHandler>[] = [];
  const newHandler = () => {
    const handler = createHandler(world.env);
    handlers.push(handler);
    return handler;
  };
  const main = newHandler();
  const service = await serviceRoleKey();
  const testUsers: string[] = [];
  return {
    world,
    sendgrid,
    resend,
    twilio,
    fcm,
    env: world.env,
    newHandler,
    async contact() {
      const user = await world.createUser();
      testUsers.push(user.id);
      const phone = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
      await world.sql`update auth.users set email_confirmed_at = now(), phone = ${phone}, phone_confirmed_at = now()
                      where id = ${user.id}`;
      const device = `fcm-device-${crypto.randomUUID()}`;
      await world
        .sql`insert into public.push_devices (user_id, token, platform) values (${user.id}, ${device}, 'android')`;
      return { ...user, phone, device };
    },
    async reminder(user, fields = {}) {
      const [row] = await world.sql`
        insert into public.reminders (user_id, title, description, remind_at, recurrence, channel)
        values (${user.id}, ${fields.title ?? "Renew passport"}, ${fields.description ?? null},
                ${fields.remind_at ?? new Date(Date.now() - 60_000)}, ${fields.recurrence ?? "none"},
                ${fields.channel ?? "email"})
        returning id`;
      return row.id;
    },
    async run(options = {}) {
      const handler = options.handler ?? main;
      const response = await handler.fetch(
        request(NAME, { body: options.body ?? {}, token: options.token ?? service }),
      );
      return { status: response.status, ...(await response.json()) };
    },
    async row(id) {
      const [row] = await world.sql`select * from public.reminders where id = ${id}`;
      return row;
    },
    async deliveries(id) {
      return await world.sql`select * from public.reminder_deliveries where reminder_id = ${id} order by created_at`;
    },
    async dueNow(id) {
      await world.sql`update public.reminders set next_attempt_at = now() - interval '1 second' where id = ${id}`;
    },
    async [Symbol.asyncDispose]() {
      // Leave nothing due behind for the next test's runs.
      if (testUsers.length > 0) {
        await world.sql`update public.reminders set is_completed = true where user_id = any(${testUsers})`;
      }
      await Promise.all(handlers.map((handler) => handler.close()));
      await Promise.all([world.close(), sendgrid.close(), resend.close(), twilio.close(), fcm.close()]);
    },
  };
}

const mailsTo = (s: Setup, user: TestUser) => s.sendgrid.mails.filter((m) => m.to.includes(user.email));

Deno.test("a due reminder goes out once on each channel and is then done", async () => {
  await using s = await setup();
  const user = await s.contact();
  const email = await s.reminder(user, { channel: "email", title: "Insurance renewal", description: "Call Acme" });
  const sms = await s.reminder(user, { channel: "sms", title: "Visa appointment" });
  const push = await s.reminder(user, { channel: "push", title: "Tax return" });
  const later = await s.reminder(user, { channel: "email", remind_at: new Date(Date.now() + 86_400_000) });

  const run = await s.run();
  assert.equal(run.status, 200, JSON.stringify(run));
  assert.ok(run.sent >= 3);

  assert.deepEqual(mailsTo(s, user).map((m) => [m.subject, m.from]), [[
    "Reminder: Insurance renewal",
    "reminders@docuvault.example.test",
  ]]);
  assert.match(mailsTo(s, user)[0].text, /Call Acme/);
  assert.deepEqual(s.twilio.messages.filter((m) => m.to === user.phone).map((m) => [m.from, m.body]), [[
    TWILIO_TEST_FROM,
    "Reminder: Visa appointment",
  ]]);
  const pushed = s.fcm.messages.filter((m) => m.token === user.device);
  assert.deepEqual(pushed.map((m) => [m.title, m.data.reminder_id]), [["Tax return", push]]);
  assert.equal(s.fcm.tokenExchanges, 1, "one OAuth token exchange, with an assertion the token endpoint verified");

  for (const id of [email, sms, push]) {
    const row = await s.row(id);
    assert.equal(row.delivery_status, "sent", id);
    assert.ok(row.notified_at, "notified_at is set");
    const deliveries = await s.deliveries(id);
    assert.deepEqual(deliveries.map((d) => [d.status, d.attempts]), [["sent", 1]]);
  }
  assert.equal((await s.row(later)).delivery_status, "pending", "a reminder not yet due is left alone");
  assert.equal((await s.deliveries(later)).length, 0);

  await s.run();
  assert.equal(mailsTo(s, user).length, 1, "a second run sends nothing again");
  assert.equal(s.twilio.messages.filter((m) => m.to === user.phone).length, 1);
});

Deno.test("overlapping runs send each reminder exactly once", async () => {
  await using s = await setup();
  const user = await s.contact();
  s.sendgrid.delayMs = 15;
  const ids = [];
  for (let i = 0; i < 24; i++) ids.push(await s.reminder(user, { title: `Reminder ${i}` }));
  const handlers = [s.newHandler(), s.newHandler(), s.newHandler()];
  const runs = await Promise.all(handlers.map((handler) => s.run({ handler, body: { batch_size: 10 } })));
  assert.ok(runs.every((run) => run.status === 200), JSON.stringify(runs));
  // Whatever the first three runs left (batches of 10 against 24), a fourth picks up.
  await s.run();
  const subjects = mailsTo(s, user).map((m) => m.subject).sort();
  assert.equal(subjects.length, 24, `each reminder once, got ${subjects.length}`);
  assert.equal(new Set(subjects).size, 24, "no reminder twice");
  const [row] = await s.world.sql`
    select count(*)::int as n from public.reminder_deliveries where user_id = ${user.id} and status = 'sent'`;
  assert.equal(row.n, 24);
});

Deno.test("a recurring reminder is sent once for its missed occurrences and moves to the next one", async () => {
  await using s = await setup();
  const user = await s.contact();
  const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000 - 3_600_000);
  const id = await s.reminder(user, { recurrence: "daily", remind_at: threeDaysAgo, title: "Take medicine" });
  await s.run();
  assert.equal(mailsTo(s, user).length, 1, "missed occurrences are not sent in a burst");
  const row = await s.row(id);
  assert.equal(row.delivery_status, "pending");
  assert.ok(row.remind_at > new Date(), "the next occurrence is in the future");
  assert.ok(row.remind_at.getTime() - Date.now() <= 86_400_000, "and at most a day away");
  assert.equal((row.remind_at.getTime() - threeDaysAgo.getTime()) % 86_400_000, 0, "on the series' time of day");
  await s.run();
  assert.equal(mailsTo(s, user).length, 1, "not again before the next occurrence");

  const monthly = await s.reminder(user, { recurrence: "monthly", remind_at: new Date("2026-01-31T09:00:00Z") });
  await s.run();
  const moved = await s.row(monthly);
  assert.equal(moved.series_start.toISOString(), "2026-01-31T09:00:00.000Z", "the series keeps its first day");
  const [expected] = await s.world.sql`
    select private.next_reminder_occurrence('2026-01-31T09:00:00Z', 'monthly', now()) as at`;
  assert.equal(moved.remind_at.toISOString(), expected.at.toISOString(), "the next occurrence counted from it");
  await s.world.sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${JSON.stringify({ sub: user.id, role: "authenticated" })}, true)`;
    await tx`update public.reminders set remind_at = remind_at + interval '1 day' where id = ${monthly}`;
  });
  assert.equal((await s.row(monthly)).series_start, null, "moved by the user: a new series");

  const [month] = await s.world.sql`
    select private.next_reminder_occurrence('2026-01-31T09:00:00Z', 'monthly', '2026-02-15T00:00:00Z') as feb,
           private.next_reminder_occurrence('2026-01-31T09:00:00Z', 'monthly', '2026-03-01T00:00:00Z') as mar,
           private.next_reminder_occurrence('2024-02-29T09:00:00Z', 'yearly', '2024-03-01T00:00:00Z') as year`;
  assert.equal(month.feb.toISOString(), "2026-02-28T09:00:00.000Z", "the last day of a shorter month");
  assert.equal(month.mar.toISOString(), "2026-03-31T09:00:00.000Z", "counted from the series' start, no drift");
  assert.equal(month.year.toISOString(), "2025-02-28T09:00:00.000Z");
});

Deno.test("a failing channel is retried with backoff, then reported", async () => {
  await using s = await setup({ REMINDER_MAX_ATTEMPTS: "3" });
  const user = await s.contact();
  const id = await s.reminder(user, { title: "Passport expires" });
  s.sendgrid.mode = "error_500";

  const first = await s.run();
  assert.ok(first.retrying >= 1);
  let row = await s.row(id);
  assert.equal(row.delivery_status, "pending");
  assert.equal(row.delivery_attempts, 1);
  assert.match(row.last_error, /SendGrid answered HTTP 500/);
  const wait = row.next_attempt_at.getTime() - Date.now();
  assert.ok(wait > 50_000 && wait <= 60_000, `first retry about a minute later (${wait} ms)`);
  await s.run();
  assert.equal((await s.row(id)).delivery_attempts, 1, "not retried before its wait is over");

  await s.dueNow(id);
  await s.run();
  row = await s.row(id);
  assert.equal(row.delivery_attempts, 2);
  const secondWait = row.next_attempt_at.getTime() - Date.now();
  assert.ok(secondWait > 290_000 && secondWait <= 300_000, `then five minutes (${secondWait} ms)`);

  await s.dueNow(id);
  const last = await s.run();
  const reported = last.failed.find((f: Loose) => f.reminder_id === id);
  assert.ok(reported, JSON.stringify(last));
  assert.equal(reported.attempts, 3);
  assert.match(reported.error, /SendGrid answered HTTP 500/);
  row = await s.row(id);
  assert.equal(row.delivery_status, "failed");
  assert.deepEqual((await s.deliveries(id)).map((d) => [d.status, d.attempts]), [["failed", 3]]);
  const events = await s.world.sql`
    select event_data from public.analytics_events where user_id = ${user.id} and event_type = 'reminder_failed'`;
  assert.equal(events.length, 1, "the user's analytics record the failure");
  assert.equal(events[0].event_data.reminder_id, id);

  s.sendgrid.mode = "ok";
  await s.dueNow(id);
  await s.run();
  assert.equal(mailsTo(s, user).length, 0, "a reported failure is not sent later by surprise");

  // The operator sends it again (docs/runbooks.md): the delivery row now says sent.
  await s.world.sql`update public.reminders set delivery_status = 'pending', delivery_attempts = 0 where id = ${id}`;
  await s.run();
  assert.equal(mailsTo(s, user).length, 1);
  assert.deepEqual((await s.deliveries(id)).map((d) => [d.status, d.error]), [["sent", null]]);
});

Deno.test("permanent failures are reported at once, without retries", async () => {
  await using s = await setup();
  const user = await s.contact();
  await s.world.sql`update auth.users set phone_confirmed_at = null where id = ${user.id}`;
  const unconfirmed = await s.reminder(user, { channel: "sms" });
  const other = await s.contact();
  s.twilio.mode = "rejected_400";
  const rejected = await s.reminder(other, { channel: "sms" });
  const run = await s.run();
  const failed = new Map(run.failed.map((f: Loose) => [f.reminder_id, f]));
  assert.match((failed.get(unconfirmed) as Loose).error, /no confirmed phone number/);
  assert.match((failed.get(rejected) as Loose).error, /Twilio answered HTTP 400 \(error 21610\)/);
  assert.equal((await s.row(unconfirmed)).delivery_attempts, 1);
  assert.equal(s.twilio.messages.filter((m) => m.to === user.phone).length, 0);
});

Deno.test("e-mail goes to the confirmed sign-in address, not an address the user typed into their profile", async () => {
  await using s = await setup();
  const user = await s.contact();
  await s.world.sql`update public.profiles set email = 'victim@example.test' where id = ${user.id}`;
  await s.reminder(user);
  await s.run();
  assert.equal(mailsTo(s, user).length, 1);
  assert.equal(s.sendgrid.mails.filter((m) => m.to.includes("victim@example.test")).length, 0);
});

Deno.test("Resend is used when chosen, with the occurrence as its Idempotency-Key", async () => {
  await using s = await setup({ REMINDER_EMAIL_PROVIDER: "resend" });
  const user = await s.contact();
  const id = await s.reminder(user, { title: "Car service" });
  await s.run();
  const mails = s.resend.mails.filter((m) => m.to.includes(user.email));
  assert.equal(mails.length, 1);
  assert.match(mails[0].idempotencyKey ?? "", new RegExp(`^reminder-${id}-\\d+$`));
  assert.equal((await s.deliveries(id))[0].provider, "resend");
  assert.equal(mailsTo(s, user).length, 0, "SendGrid was not used");
});

Deno.test("push: a device FCM no longer knows is removed, the others still get it, and a revoked token is renewed", async () => {
  await using s = await setup();
  const user = await s.contact();
  const gone = `fcm-device-gone-${crypto.randomUUID()}`;
  await s.world.sql`insert into public.push_devices (user_id, token) values (${user.id}, ${gone})`;
  s.fcm.unregistered.add(gone);
  const id = await s.reminder(user, { channel: "push" });
  await s.run();
  assert.equal((await s.row(id)).delivery_status, "sent");
  const devices = await s.world.sql`select token from public.push_devices where user_id = ${user.id}`;
  assert.deepEqual(devices.map((d) => d.token), [user.device], "the unregistered device is removed");

  s.fcm.revokeAccessTokens();
  await s.reminder(user, { channel: "push", title: "Second" });
  await s.run();
  assert.deepEqual(s.fcm.messages.filter((m) => m.token === user.device).map((m) => m.title), [
    "Renew passport",
    "Second",
  ]);
  assert.equal(s.fcm.tokenExchanges, 2, "a 401 fetched a new access token once");
  assert.equal(s.fcm.refusedAssertions, 0);
});

Deno.test("push without a service account is retried, naming the variable to set", async () => {
  await using s = await setup({ FIREBASE_SERVICE_ACCOUNT: undefined });
  const user = await s.contact();
  const id = await s.reminder(user, { channel: "push" });
  await s.run();
  const row = await s.row(id);
  assert.equal(row.delivery_status, "pending");
  assert.match(row.last_error, /set FIREBASE_SERVICE_ACCOUNT/);
});

Deno.test("SMS past the daily limit waits instead of being sent", async () => {
  await using s = await setup({ REMINDER_SMS_DAILY_LIMIT: "1" });
  const user = await s.contact();
  const first = await s.reminder(user, { channel: "sms", remind_at: new Date(Date.now() - 120_000) });
  await s.run();
  const second = await s.reminder(user, { channel: "sms" });
  await s.run();
  assert.equal((await s.row(first)).delivery_status, "sent");
  const waiting = await s.row(second);
  assert.equal(waiting.delivery_status, "pending");
  assert.match(waiting.last_error, /SMS daily limit/);
  assert.ok(waiting.next_attempt_at > new Date(Date.now() + 50 * 60_000));
  assert.equal(s.twilio.messages.filter((m) => m.to === user.phone).length, 1);
});

Deno.test("a run that lost its claim does not record over the run that took it", async () => {
  await using s = await setup();
  const user = await s.contact();
  const id = await s.reminder(user);
  const stale = { id, claim_id: crypto.randomUUID() } as Parameters<typeof markSent>[1];
  const db = createDatabase(s.env);
  try {
    assert.equal(await markSent(db, stale, "sendgrid", "x"), false);
  } finally {
    await db.close();
  }
  assert.equal((await s.row(id)).delivery_status, "pending");
  // A run that died holding the claim: once the lease is over, the next run takes the reminder.
  await s.world.sql`update public.reminders set delivery_status = 'sending', claim_id = gen_random_uuid(),
                    claimed_until = now() - interval '1 second', delivery_attempts = 1 where id = ${id}`;
  await s.run();
  assert.equal((await s.row(id)).delivery_status, "sent");
  assert.equal(mailsTo(s, user).length, 1);
});

Deno.test("only the service role runs the engine; users cannot touch delivery state", async () => {
  await using s = await setup();
  const user = await s.contact();
  const id = await s.reminder(user);
  const asUser = await s.run({ token: user.token });
  assert.equal(asUser.status, 403);
  assert.equal(asUser.error.code, "service_role_required");
  assert.equal((await s.run({ token: await anonKey() })).status, 403);
  const response = await s.newHandler().fetch(request(NAME, { body: {} }));
  assert.equal(response.status, 401);
  await response.body?.cancel();
  const bad = await s.run({ body: { batch_size: 0 } });
  assert.equal(bad.status, 400);
  assert.match(bad.error.message, /batch_size: must be at least 1/);
  assert.equal((await s.row(id)).delivery_status, "pending", "refused calls sent nothing");

  await assert.rejects(
    s.world.sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', ${
        JSON.stringify({ sub: user.id, role: "authenticated" })
      }, true)`;
      await tx`update public.reminders set delivery_status = 'sent' where id = ${id}`;
    }),
    /permission denied/,
  );
  const other = await s.world.createUser();
  const seen = await s.world.sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${
      JSON.stringify({ sub: other.id, role: "authenticated" })
    }, true)`;
    return await tx`select count(*)::int as n from public.push_devices where user_id = ${user.id}`;
  });
  assert.equal(seen[0].n, 0, "another user sees none of the user's devices");
});

Deno.test("a provider that hangs is given up on at the timeout and retried later", async () => {
  await using s = await setup({ REMINDER_PROVIDER_TIMEOUT_MS: "300" });
  const user = await s.contact();
  const id = await s.reminder(user);
  s.sendgrid.mode = "hang";
  const started = Date.now();
  await s.run();
  assert.ok(Date.now() - started < 5000, "the run did not wait for the provider");
  const row = await s.row(id);
  assert.equal(row.delivery_status, "pending");
  assert.match(row.last_error, /SendGrid did not answer within 300 ms/);
});

Deno.test("a service account whose key Google does not accept is retried, and its key is never logged", async () => {
  const other = await startFakeFcm({ fresh: true });
  const account = JSON.parse(other.serviceAccountJson);
  await other.close();
  await using s = await setup({});
  // The right account and token URI, signed with a key the token endpoint does not know.
  const wrongKey = { ...JSON.parse(s.fcm.serviceAccountJson), private_key: account.private_key };
  const handler = createHandler({ ...s.env, FIREBASE_SERVICE_ACCOUNT: JSON.stringify(wrongKey) });
  const user = await s.contact();
  const id = await s.reminder(user, { channel: "push" });
  s.sendgrid.mode = "error_500";
  await s.reminder(user, { channel: "email" });
  try {
    const { output } = await captureConsole(() => s.run({ handler }));
    assert.equal(s.fcm.refusedAssertions, 1, "the token endpoint checked the assertion's signature");
    assert.match((await s.row(id)).last_error, /Google OAuth answered HTTP 400/);
    const logs = output.text();
    for (
      const secret of [SENDGRID_TEST_KEY, TWILIO_TEST_TOKEN, RESEND_TEST_KEY, "PRIVATE KEY", user.email, user.phone]
    ) {
      assert.ok(!logs.includes(secret), `the logs hold ${secret.slice(0, 12)}...`);
    }
  } finally {
    await handler.close();
  }
});

Deno.test("moving a sent reminder starts a new occurrence, within the daily e-mail limit", async () => {
  await using s = await setup({ REMINDER_EMAIL_DAILY_LIMIT: "2" });
  const user = await s.contact();
  const id = await s.reminder(user);
  const asUser = async (remindAt: Date) => {
    await s.world.sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', ${
        JSON.stringify({ sub: user.id, role: "authenticated" })
      }, true)`;
      await tx`update public.reminders set remind_at = ${remindAt} where id = ${id}`;
    });
  };
  await s.run();
  assert.equal((await s.row(id)).delivery_status, "sent");
  await asUser(new Date(Date.now() - 1000));
  assert.equal((await s.row(id)).delivery_status, "pending", "moved: a new occurrence");
  await s.run();
  assert.equal(mailsTo(s, user).length, 2);
  await asUser(new Date(Date.now() - 500));
  await s.run();
  assert.equal(mailsTo(s, user).length, 2, "the third e-mail of the day waits");
  const row = await s.row(id);
  assert.match(row.last_error, /E-mail daily limit \(2 in 24 hours\) reached/);
  assert.ok(row.next_attempt_at > new Date(Date.now() + 50 * 60_000));
});

Deno.test("a provider refusing our key is retried (the operator can fix it), not reported at once", async () => {
  await using s = await setup({ SENDGRID_API_KEY: "SG.wrong-key-0000" });
  const user = await s.contact();
  const id = await s.reminder(user);
  await s.run();
  const row = await s.row(id);
  assert.equal(row.delivery_status, "pending");
  assert.match(row.last_error, /SendGrid answered HTTP 401/);
});

Deno.test("a push past the run's stop time tries no further device and is retried", async () => {
  const fcm = await startFakeFcm();
  try {
    const env = { FIREBASE_SERVICE_ACCOUNT: fcm.serviceAccountJson, FCM_BASE_URL: fcm.url };
    const message = { tokens: ["fcm-device-aaaaaaaaaaaaaaaaaaaa"], title: "t", body: "b", data: {} };
    await assert.rejects(
      sendPush(env, new GoogleTokenSource(), message, 1000, Date.now() - 1),
      (error: unknown) => error instanceof ChannelFailure && error.retryable && /time ran out/.test(error.message),
    );
    assert.equal(fcm.messages.length, 0);
    const sent = await sendPush(env, new GoogleTokenSource(), message, 1000, Date.now() + 60_000);
    assert.equal(sent.provider, "fcm");
    assert.equal(fcm.messages.length, 1);
  } finally {
    await fcm.close();
  }
});

Deno.test("a service account key never survives into a log line, whole or in part", async () => {
  const fcm = await startFakeFcm();
  try {
    const pem = JSON.parse(fcm.serviceAccountJson).private_key as string;
    const secrets = secretsFromEnv({ FIREBASE_SERVICE_ACCOUNT: fcm.serviceAccountJson });
    assert.equal(redactText(`config: ${fcm.serviceAccountJson}`, secrets), "config: [redacted]");
    const redacted = redactText(`key was ${pem.slice(0, 200)}`, []);
    assert.ok(!redacted.includes(pem.slice(40, 120)), "a PEM key is masked by its shape, even cut short");
  } finally {
    await fcm.close();
  }
});

Deno.test("issue 20 hole 5: the SMS budget is checked per message, and deleting reminders gives nothing back", async () => {
  await using s = await setup();
  const user = await s.contact();
  // Fifteen one-segment SMS due at once, all claimed by one run: the free tier's 10 segments a day go, the rest wait.
  const ids = [];
  for (let i = 0; i < 15; i++) ids.push(await s.reminder(user, { channel: "sms", title: `Pay bill ${i}` }));
  await s.run();
  assert.equal(s.twilio.messages.filter((m) => m.to === user.phone).length, 10);
  const rows = await Promise.all(ids.map((id) => s.row(id)));
  const waiting = rows.filter((r) => r.delivery_status === "pending");
  assert.equal(waiting.length, 5);
  const midnight = new Date();
  midnight.setUTCHours(24, 0, 0, 0);
  for (const row of waiting) {
    assert.match(row.last_error, /free tier allows 10 sms segments a day/);
    assert.equal(row.next_attempt_at.getTime(), midnight.getTime(), "held until the budget resets");
    assert.equal(row.delivery_attempts, 0, "waiting for the budget uses up no attempt");
  }

  // The user deletes every reminder (and with them their delivery rows) and makes new ones: still nothing goes.
  await s.world.sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${JSON.stringify({ sub: user.id, role: "authenticated" })}, true)`;
    await tx`delete from public.reminders`;
  });
  await s.reminder(user, { channel: "sms", title: "Fresh start" });
  await s.run();
  assert.equal(s.twilio.messages.filter((m) => m.to === user.phone).length, 10);
});

Deno.test("issue 20 hole 5: an SMS is counted in the segments Twilio bills", async () => {
  const { smsSegments } = await import("../../functions/reminder-engine/channels/sms.ts");
  assert.equal(smsSegments("a".repeat(160)), 1);
  assert.equal(smsSegments("a".repeat(161)), 2);
  assert.equal(smsSegments("{".repeat(80)), 1, "extension characters take two septets");
  assert.equal(smsSegments("{".repeat(81)), 2);
  assert.equal(smsSegments("é".repeat(70)), 1, "outside plain GSM-7: UCS-2");
  assert.equal(smsSegments("é".repeat(71)), 2);
  assert.equal(smsSegments("😀".repeat(200)), 5, "cut at 320 UTF-16 units, 67 per segment");
});
