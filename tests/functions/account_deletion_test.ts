/**
 * account-deletion against the migrated database: only a fresh sign-in may ask, the confirmation must be exact,
 * the request is recorded once (a repeat answers the same) and blocks further sign-ins; nothing is erased by the
 * function itself (the lifecycle job does that, tests/lifecycle/test_account_deletion.py).
 */
import assert from "node:assert/strict";
import { CONFIRMATION, createHandler, NAME } from "../../functions/account-deletion/handler.ts";
import { FRESH_SESSION_SECONDS, secondsSinceSignIn } from "../../functions/account-deletion/fresh_session.ts";
import { mintToken } from "./support/jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

function tokenSignedIn(user: TestUser, secondsAgo: number): Promise<string> {
  const timestamp = Math.floor(Date.now() / 1000) - secondsAgo;
  return mintToken({ sub: user.id, email: user.email, amr: [{ method: "password", timestamp }] });
}

async function call(world: TestWorld, token: string, body: unknown): Promise<{ status: number; body: Loose }> {
  const handler = createHandler(world.env);
  try {
    const response = await handler.fetch(request(NAME, { body, token }));
    return { status: response.status, body: await response.json() };
  } finally {
    await handler.close();
  }
}

async function pending(world: TestWorld, userId: string): Promise<Loose[]> {
  return await world.sql`
    select d.requested_by, d.requested_at, u.banned_until = 'infinity' as blocked
    from private.account_deletions d join auth.users u on u.id = d.user_id where d.user_id = ${userId}`;
}

Deno.test("a fresh sign-in asks for the erasure: recorded once, sign-in blocked, a repeat answers the same", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const token = await tokenSignedIn(user, 60);

  const first = await call(world, token, { confirm: CONFIRMATION });
  const again = await call(world, token, { confirm: CONFIRMATION });

  assert.equal(first.status, 202, JSON.stringify(first.body));
  assert.equal(first.body.status, "scheduled");
  assert.deepEqual(again.body, first.body);
  const rows = await pending(world, user.id);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].requested_by, "user");
  assert.equal(rows[0].blocked, true);
  const [profile] = await world.sql`select count(*)::int as n from public.profiles where id = ${user.id}`;
  assert.equal(profile.n, 1, "the function erases nothing itself; the lifecycle job does");
});

Deno.test("a session signed in longer ago, or a token without sign-in times, must sign in again", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const stale = await tokenSignedIn(user, FRESH_SESSION_SECONDS + 60);

  for (const token of [stale, user.token]) {
    const answer = await call(world, token, { confirm: CONFIRMATION });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error.code, "reauthentication_required");
  }
  assert.equal((await pending(world, user.id)).length, 0);
});

Deno.test("the confirmation must be exactly the phrase", async () => {
  await using world = await startWorld();
  const user = await world.createUser();
  const token = await tokenSignedIn(user, 10);

  for (const body of [{}, { confirm: "yes" }, { confirm: CONFIRMATION, also: 1 }]) {
    const answer = await call(world, token, body);
    assert.equal(answer.status, 400, JSON.stringify(body));
  }
  assert.equal((await pending(world, user.id)).length, 0);
});

Deno.test("fresh_session: the newest timed entry counts; string entries carry no time", () => {
  const now = 1_800_000_000;
  assert.equal(
    secondsSinceSignIn(
      { amr: [{ method: "password", timestamp: now - 900 }, { method: "totp", timestamp: now - 30 }] },
      now,
    ),
    30,
  );
  assert.equal(secondsSinceSignIn({ amr: ["password"] }, now), null);
  assert.equal(secondsSinceSignIn({}, now), null);
});
