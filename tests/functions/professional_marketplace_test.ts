/**
 * professional-marketplace against the migrated database: the public directory (verified and active only),
 * listings a professional writes (never their verification), bookings whose each state change only its party
 * makes, and reviews only after a completed booking, once, by the client. The rules are the database's; these
 * tests show the function answers them with the right codes and cannot get around them.
 */
import assert from "node:assert/strict";
import { createHandler, NAME } from "../../functions/professional-marketplace/handler.ts";
import { anonKey } from "./support/jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Setup extends AsyncDisposable {
  world: TestWorld;
  pro: TestUser;
  client: TestUser;
  listingId: string;
  post(user: TestUser | string, body: unknown): Promise<{ status: number; body: Loose }>;
  get(query: string, token: string): Promise<{ status: number; body: Loose }>;
}

async function setup(overrides: Record<string, string> = {}): Promise<Setup> {
  const world = await startWorld(overrides);
  const handler = createHandler(world.env);
  const pro = await world.createUser();
  const client = await world.createUser();
  const profession = `tax_${crypto.randomUUID().slice(0, 8)}`;
  const [listing] = await world.sql`
    insert into public.professionals (user_id, display_name, profession, hourly_rate_cents, is_verified, languages)
    values (${pro.id}, 'Ada CA', ${profession}, 12000, true, '{en,hi}') returning id`;
  const answer = async (response: Response) => ({ status: response.status, body: await response.json() });
  return {
    world,
    pro,
    client,
    listingId: listing.id,
    async post(user, body) {
      const token = typeof user === "string" ? user : user.token;
      return await answer(await handler.fetch(request(NAME, { body, token })));
    },
    async get(query, token) {
      return await answer(
        await handler.fetch(
          new Request(`http://localhost/functions/v1/${NAME}?${query}`, {
            headers: { authorization: `Bearer ${token}` },
          }),
        ),
      );
    },
    async [Symbol.asyncDispose]() {
      await handler.close();
      await world.close();
    },
  };
}

async function profession(s: Setup): Promise<string> {
  const [row] = await s.world.sql`select profession from public.professionals where id = ${s.listingId}`;
  return row.profession;
}

Deno.test("the directory shows visitors verified, active listings only, filtered by profession and text", async () => {
  await using s = await setup();
  const job = await profession(s);
  const hidden = await s.world.createUser();
  await s.world.sql`
    insert into public.professionals (user_id, display_name, profession) values (${hidden.id}, 'Unverified', ${job})`;
  const anon = await anonKey();
  const found = await s.get(`profession=${job}`, anon);
  assert.equal(found.status, 200, JSON.stringify(found.body));
  assert.deepEqual(found.body.listings.map((l: Loose) => l.id), [s.listingId]);
  assert.equal((await s.get(`profession=${job}&q=ada`, anon)).body.listings.length, 1);
  assert.equal((await s.get(`profession=${job}&q=nobody`, anon)).body.listings.length, 0);
  assert.equal((await s.get(`profession=${job}&language=hi`, anon)).body.listings.length, 1);
  // A LIKE wildcard in the text is a character, not a pattern.
  assert.equal((await s.get(`profession=${job}&q=%25`, anon)).body.listings.length, 0);
  const bad = await s.get("limit=500", anon);
  assert.equal(bad.status, 400);
});

Deno.test("a new listing is unverified and absent from the directory; no request can verify it", async () => {
  await using s = await setup();
  const newcomer = await s.world.createUser();
  const job = `lawyer_${crypto.randomUUID().slice(0, 8)}`;
  const created = await s.post(newcomer, { action: "create_listing", display_name: "Bob", profession: job });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.listing.is_verified, false);
  assert.equal((await s.get(`profession=${job}`, await anonKey())).body.listings.length, 0);
  const forged = await s.post(newcomer, { action: "update_listing", is_verified: true });
  assert.equal(forged.status, 400);
  assert.match(forged.body.error.message, /is_verified/);
  assert.equal((await s.post(newcomer, { action: "create_listing", display_name: "B", profession: job })).status, 409);
});

Deno.test("renaming a verified listing drops its verification; editing the bio keeps it", async () => {
  await using s = await setup();
  const bio = await s.post(s.pro, { action: "update_listing", bio: "Twenty years of returns" });
  assert.equal(bio.body.listing.is_verified, true);
  const renamed = await s.post(s.pro, { action: "update_listing", display_name: "Dr. Ada, Surgeon" });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.listing.is_verified, false);
  assert.equal((await s.get(`profession=${await profession(s)}`, await anonKey())).body.listings.length, 0);
});

Deno.test("a booking: the client requests (priced by the backend), the professional confirms and completes", async () => {
  await using s = await setup();
  const requested = await s.post(s.client, {
    action: "request_booking",
    professional_id: s.listingId,
    duration_minutes: 30,
    notes: "Tax return",
  });
  assert.equal(requested.status, 201, JSON.stringify(requested.body));
  const booking = requested.body.booking;
  assert.deepEqual([booking.status, booking.price_cents], ["requested", 6000]);

  const selfConfirm = await s.post(s.client, { action: "confirm_booking", booking_id: booking.id });
  assert.equal(selfConfirm.status, 403);
  assert.equal(selfConfirm.body.error.code, "not_your_transition");
  const skip = await s.post(s.pro, { action: "complete_booking", booking_id: booking.id });
  assert.equal(skip.status, 409);

  const early = await s.post(s.client, { action: "review", booking_id: booking.id, rating: 5 });
  assert.equal(early.status, 409);
  assert.match(early.body.error.message, /completed booking/);

  assert.equal(
    (await s.post(s.pro, { action: "confirm_booking", booking_id: booking.id })).body.booking.status,
    "confirmed",
  );
  const selfComplete = await s.post(s.client, { action: "complete_booking", booking_id: booking.id });
  assert.equal(selfComplete.status, 403);
  assert.equal(
    (await s.post(s.pro, { action: "complete_booking", booking_id: booking.id })).body.booking.status,
    "completed",
  );

  const review = await s.post(s.client, { action: "review", booking_id: booking.id, rating: 4, comment: "Clear" });
  assert.equal(review.status, 201, JSON.stringify(review.body));
  assert.equal(
    (await s.post(s.client, { action: "review", booking_id: booking.id, rating: 5 })).body.error.code,
    "already_reviewed",
  );
  const [listing] = await s.world.sql`select rating, review_count from public.professionals where id = ${s.listingId}`;
  assert.deepEqual([Number(listing.rating), listing.review_count], [4, 1]);
  const late = await s.post(s.client, { action: "cancel_booking", booking_id: booking.id });
  assert.equal(late.status, 409);
});

Deno.test("nobody books their own listing, and another user's booking is not found", async () => {
  await using s = await setup();
  const own = await s.post(s.pro, { action: "request_booking", professional_id: s.listingId });
  assert.equal(own.status, 409);
  assert.match(own.body.error.message, /own listing/);
  const { body } = await s.post(s.client, { action: "request_booking", professional_id: s.listingId });
  const stranger = await s.world.createUser();
  const cancel = await s.post(stranger, { action: "cancel_booking", booking_id: body.booking.id });
  assert.equal(cancel.status, 404);
  const review = await s.post(stranger, { action: "review", booking_id: body.booking.id, rating: 1 });
  assert.equal(review.status, 404);
  const mine = await s.get("view=my_bookings", s.pro.token);
  assert.deepEqual(mine.body.bookings.map((b: Loose) => b.id), [body.booking.id]);
  assert.deepEqual((await s.get("view=my_bookings", stranger.token)).body.bookings, []);
});

Deno.test("the client cancels; bad input and the anon key are refused", async () => {
  await using s = await setup();
  const { body } = await s.post(s.client, { action: "request_booking", professional_id: s.listingId });
  assert.equal(
    (await s.post(s.client, { action: "cancel_booking", booking_id: body.booking.id })).body.booking.status,
    "cancelled",
  );
  const unknown = await s.post(s.client, { action: "verify_listing", professional_id: s.listingId });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.error.message, /action: must be one of/);
  const badRating = await s.post(s.client, { action: "review", booking_id: body.booking.id, rating: 9 });
  assert.equal(badRating.status, 400);
  const anon = await s.post(await anonKey(), { action: "request_booking", professional_id: s.listingId });
  assert.equal(anon.status, 401);
  const unverified = await s.world.createUser();
  const [hidden] = await s.world.sql`
    insert into public.professionals (user_id, display_name, profession) values (${unverified.id}, 'U', 'x')
    returning id`;
  const hiddenBooking = await s.post(s.client, { action: "request_booking", professional_id: hidden.id });
  assert.equal(hiddenBooking.status, 404);
});

Deno.test("the directory's answer is kept for MARKETPLACE_CACHE_SECONDS and is the same for every caller", async () => {
  await using s = await setup({ MARKETPLACE_CACHE_SECONDS: "30" });
  const query = `profession=${await profession(s)}`;
  const first = await s.get(query, await anonKey());
  assert.equal(first.status, 200);
  assert.equal(first.body.listings.length, 1);
  const newcomer = await s.world.createUser();
  await s.world.sql`
    insert into public.professionals (user_id, display_name, profession, is_verified)
    values (${newcomer.id}, 'Bea CA', ${await profession(s)}, true)`;
  // Within the period: the kept answer, to a signed-in user as to the visitor.
  const again = await s.get(query, s.client.token);
  assert.deepEqual(again.body, first.body);
  // Another search is its own entry, read now.
  const other = await s.get(`${query}&limit=5`, s.client.token);
  assert.equal(other.body.listings.length, 2);
});

Deno.test("MARKETPLACE_CACHE_SECONDS=0 reads the directory on every request", async () => {
  await using s = await setup({ MARKETPLACE_CACHE_SECONDS: "0" });
  const query = `profession=${await profession(s)}`;
  assert.equal((await s.get(query, await anonKey())).body.listings.length, 1);
  const newcomer = await s.world.createUser();
  await s.world.sql`
    insert into public.professionals (user_id, display_name, profession, is_verified)
    values (${newcomer.id}, 'Bea CA', ${await profession(s)}, true)`;
  assert.equal((await s.get(query, await anonKey())).body.listings.length, 2);
});
