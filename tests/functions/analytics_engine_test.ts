/**
 * analytics-engine against the migrated database: the service role's rollup of events and documents into
 * analytics_data (idempotent, safe when runs overlap, into the right yearly partition, next years' partitions
 * created ahead), and a user's insights (their own storage over time, documents by type, expiring documents;
 * nothing of anyone else's), with the refusals and bad input around both.
 */
import assert from "node:assert/strict";
import { createHandler, NAME } from "../../functions/analytics-engine/handler.ts";
import { shiftDays } from "../../functions/analytics-engine/rollup.ts";
import { anonKey, serviceRoleKey } from "./support/jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Setup extends AsyncDisposable {
  world: TestWorld;
  call(body: unknown, token?: string): Promise<Loose>;
  service: string;
  document(user: TestUser, fields?: Loose): Promise<string>;
  event(user: TestUser, type: string, at?: string): Promise<void>;
  metrics(user: TestUser, day: string): Promise<Loose[]>;
}

const today = () => new Date().toISOString().slice(0, 10);

async function setup(): Promise<Setup> {
  const world = await startWorld();
  const handler = createHandler(world.env);
  const service = await serviceRoleKey();
  return {
    world,
    service,
    async call(body, token = service) {
      const response = await handler.fetch(request(NAME, { body, token, method: "POST" }));
      return { status: response.status, ...(await response.json()) };
    },
    async document(user, fields = {}) {
      // The object first, as Storage writes it: the quota (and so storage_used) counts what Storage holds.
      const path = `${user.id}/${crypto.randomUUID()}`;
      const size = fields.size ?? 1000;
      const mime = fields.mime ?? "application/pdf";
      await world.sql`insert into storage.objects (bucket_id, name, metadata)
                      values ('documents', ${path}, ${world.sql.json({ size, mimetype: mime })})`;
      const [row] = await world.sql`
        insert into public.documents (user_id, title, file_name, file_path, file_size, mime_type, expires_on, created_at)
        values (${user.id}, ${fields.title ?? "Doc"}, 'f', ${path}, ${size}, ${mime}, ${fields.expires_on ?? null},
                ${fields.created_at ?? new Date()})
        returning id`;
      return row.id;
    },
    async event(user, type, at) {
      await world.sql`insert into public.analytics_events (user_id, event_type, created_at)
                      values (${user.id}, ${type}, ${at ?? new Date()})`;
    },
    async metrics(user, day) {
      return await world.sql`
        select metric_type, metric_value, dimensions, tableoid::regclass::text as partition
        from public.analytics_data where user_id = ${user.id} and date_recorded = ${day}
        order by metric_type, dimensions::text`;
    },
    async [Symbol.asyncDispose]() {
      await handler.close();
      await world.close();
    },
  };
}

const summary = (rows: Loose[]) => rows.map((r) => [r.metric_type, r.metric_value, r.dimensions]);

Deno.test("a rollup counts the day's events and documents and the storage, and a rerun replaces, not adds", async () => {
  await using s = await setup();
  const user = await s.world.createUser();
  for (const type of ["page_view", "page_view", "page_view", "document_upload"]) await s.event(user, type);
  await s.document(user, { size: 1000 });
  await s.document(user, { size: 2500 });
  await s.document(user, { size: 500, mime: "image/png" });

  const run = await s.call({ action: "rollup", days: 1 });
  assert.equal(run.status, 200, JSON.stringify(run));
  assert.deepEqual(run.days.map((d: Loose) => d.date), [today()]);
  const expected = [
    ["documents_uploaded", 2, { mime_type: "application/pdf" }],
    ["documents_uploaded", 1, { mime_type: "image/png" }],
    ["events", 1, { event_type: "document_upload" }],
    ["events", 3, { event_type: "page_view" }],
    ["storage_bytes", 4000, {}],
  ];
  assert.deepEqual(summary(await s.metrics(user, today())), expected);

  assert.equal((await s.call({})).status, 200, "an empty body from the schedule is a rollup");
  assert.deepEqual(summary(await s.metrics(user, today())), expected, "rolled up again: the same rows, once");
  await s.event(user, "page_view");
  await s.call({ action: "rollup", days: 1 });
  const pageViews = (await s.metrics(user, today())).find((r) => r.dimensions.event_type === "page_view");
  assert.equal(pageViews?.metric_value, 4, "a rerun sees what arrived since");
});

Deno.test("overlapping rollups of the same days leave one row per metric", async () => {
  await using s = await setup();
  const user = await s.world.createUser();
  await s.event(user, "search");
  await s.document(user);
  const runs = await Promise.all([1, 2, 3].map(() => s.call({ action: "rollup", days: 2 })));
  assert.ok(runs.every((run) => run.status === 200), JSON.stringify(runs));
  const rows = await s.metrics(user, today());
  assert.deepEqual(rows.map((r) => r.metric_type), ["documents_uploaded", "events", "storage_bytes"]);
});

Deno.test("a past day's rollup lands in its year's partition; the coming years' partitions are created ahead", async () => {
  await using s = await setup();
  const user = await s.world.createUser();
  await s.event(user, "login", "2025-03-14T12:00:00Z");
  await s.document(user, { created_at: new Date("2025-03-14T08:00:00Z"), size: 321 });
  const run = await s.call({ action: "rollup", date: "2025-03-14", days: 1 });
  assert.equal(run.status, 200, JSON.stringify(run));
  const rows = await s.metrics(user, "2025-03-14");
  assert.deepEqual(new Set(rows.map((r) => r.partition)), new Set(["partitions.analytics_data_2025"]));
  assert.equal(rows.find((r) => r.metric_type === "storage_bytes")?.metric_value, 321);

  const farYear = new Date().getUTCFullYear() + 3;
  await s.world.sql.unsafe(`drop table if exists partitions.analytics_data_${farYear}`);
  try {
    const ahead = await s.call({ action: "rollup", days: 1, partitions_years_ahead: 3 });
    assert.ok(ahead.partitions_created >= 1, JSON.stringify(ahead));
    const [found] = await s.world.sql`select to_regclass(${`partitions.analytics_data_${farYear}`}) is not null as ok`;
    assert.ok(found.ok, `partition analytics_data_${farYear} created ahead of its year`);
    const again = await s.call({ action: "rollup", days: 1, partitions_years_ahead: 3 });
    assert.equal(again.partitions_created, 0, "and only once");
  } finally {
    await s.world.sql.unsafe(`drop table if exists partitions.analytics_data_${farYear}`);
  }
});

Deno.test("a user's insights: their storage over time, documents by type and what expires soon, no one else's", async () => {
  await using s = await setup();
  const [user, other] = [await s.world.createUser(), await s.world.createUser()];
  const soon = shiftDays(today(), 10);
  const later = shiftDays(today(), 100);
  await s.document(user, { title: "Passport", mime: "application/pdf", size: 2000, expires_on: soon });
  await s.document(user, { title: "Lease", mime: "application/pdf", size: 1000, expires_on: later });
  await s.document(user, { title: "Photo", mime: "image/jpeg", size: 300 });
  await s.document(other, { title: "Other's will", mime: "text/plain", size: 99999, expires_on: soon });
  await s.event(user, "page_view");
  await s.event(other, "secret_event");
  await s.world.sql`
    insert into public.analytics_data (user_id, metric_type, metric_value, date_recorded)
    values (${user.id}, 'storage_bytes', 1200, current_date - 3)`;
  await s.call({ action: "rollup", days: 1 });

  const answer = await s.call({ action: "insights" }, user.token);
  assert.equal(answer.status, 200, JSON.stringify(answer));
  assert.equal(answer.storage.used_bytes, 3300);
  assert.equal(answer.storage.limit_bytes, 1073741824);
  assert.deepEqual(answer.storage.over_time, [
    { date: shiftDays(today(), -3), bytes: 1200 },
    { date: today(), bytes: 3300 },
  ]);
  assert.deepEqual(answer.documents_by_type, [
    { mime_type: "application/pdf", documents: 2, bytes: 3000 },
    { mime_type: "image/jpeg", documents: 1, bytes: 300 },
  ]);
  assert.deepEqual(answer.expiring_documents.map((d: Loose) => [d.title, d.expires_on, d.days_left]), [[
    "Passport",
    soon,
    10,
  ]]);
  assert.deepEqual(answer.events, [{ event_type: "page_view", count: 1 }]);
  assert.ok(!JSON.stringify(answer).includes("Other's will") && !JSON.stringify(answer).includes("secret_event"));

  const wider = await s.call({ action: "insights", expiring_within_days: 120 }, user.token);
  assert.deepEqual(wider.expiring_documents.map((d: Loose) => d.title), ["Passport", "Lease"]);
  const asking = await s.call({ action: "insights", user_id: other.id }, user.token);
  assert.equal(asking.status, 400, "no way to name another user");
  assert.match(asking.error.message, /Unrecognized key/);
});

Deno.test("who may do what: users get insights, only the backend rolls up", async () => {
  await using s = await setup();
  const user = await s.world.createUser();
  const userRollup = await s.call({ action: "rollup" }, user.token);
  assert.equal(userRollup.status, 403);
  assert.equal(userRollup.error.code, "service_role_required");
  const serviceInsights = await s.call({ action: "insights" });
  assert.equal(serviceInsights.status, 400);
  assert.equal(serviceInsights.error.code, "insights_need_a_user");
  assert.equal((await s.call({ action: "insights" }, await anonKey())).status, 401);
  assert.equal((await s.call({}, user.token)).status, 200, "an empty body from a user is their insights");
  await s.world.setRequestsThisHour(user.id, NAME, 100);
  const limited = await s.call({ action: "insights" }, user.token);
  assert.equal(limited.status, 429);
});

Deno.test("bad input is answered 400 naming the field", async () => {
  await using s = await setup();
  const tomorrow = shiftDays(today(), 1);
  const cases: [unknown, RegExp][] = [
    [{ action: "explode" }, /action: must be rollup or insights/],
    [{ action: "rollup", days: 0 }, /days: must be at least 1/],
    [{ action: "rollup", days: 40 }, /days: must be at most 31/],
    [{ action: "rollup", date: "14/03/2025" }, /date: must be a date, YYYY-MM-DD/],
    [{ action: "rollup", date: "2025-02-30x" }, /date: must be a date/],
    [{ action: "rollup", date: tomorrow }, /date: must not be in the future/],
    [{ action: "rollup", partitions_years_ahead: 50 }, /partitions_years_ahead: must be at most 5/],
    [[1, 2], /body: must be a JSON object/],
  ];
  for (const [body, expected] of cases) {
    const answer = await s.call(body);
    assert.equal(answer.status, 400, JSON.stringify(body));
    assert.match(answer.error.message, expected);
  }
});

Deno.test("an unreachable database is answered 503, for the rollup and for insights", async () => {
  await using world = await startWorld({ SUPABASE_DB_URL: "postgresql://postgres@127.0.0.1:1/postgres" });
  const handler = createHandler(world.env);
  try {
    const user = await world.createUser();
    for (const token of [await serviceRoleKey(), user.token]) {
      const response = await handler.fetch(request(NAME, { body: {}, token }));
      assert.equal(response.status, 503);
      assert.equal((await response.json()).error.code, "database_unavailable");
    }
  } finally {
    await handler.close();
  }
});
