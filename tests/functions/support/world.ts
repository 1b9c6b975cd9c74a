/**
 * A test's world: the migrated database (as the postgres owner, for setup and assertions), fake AI providers, a
 * fake Supabase HTTP API, and the env a handler is built with. Each test starts its own and disposes it:
 *
 *   await using world = await startWorld();
 *   const user = await world.createUser();
 *   const handler = createHandler(world.env);
 *   try { ... } finally { await handler.close(); }
 *
 * Tests share one database, so each creates its own users (random ids and emails) and looks only at their rows.
 */
import postgres from "npm:postgres@3.4.9";
import { TEST_JWT_SECRET, TEST_SERVICE_ROLE_KEY, testDatabaseUrl } from "./env.ts";
import { type FakeAi, startFakeAi } from "./fake_ai.ts";
import { type FakeSupabase, startFakeSupabase } from "./fake_supabase.ts";
import { mintToken } from "./jwt.ts";

export interface TestUser {
  id: string;
  email: string;
  /** A valid access token (role authenticated, sub = id), HS256 with the test JWT secret. */
  token: string;
}

export type Tier = "free" | "premium" | "family_plus" | "business";

export interface TestWorld extends AsyncDisposable {
  /** For createHandler(env): database, JWT secret, Supabase URL and service key, AI base URLs and keys. */
  env: Record<string, string>;
  /** The database as postgres (bypasses RLS): set up rows and check what a handler wrote. */
  sql: postgres.Sql;
  ai: FakeAi;
  supabase: FakeSupabase;
  /** An auth.users row; the signup trigger creates the profile and the default model configs. */
  createUser(options?: { tier?: Tier; email?: string }): Promise<TestUser>;
  /** A conversation owned by `userId`; returns its id. */
  createConversation(userId: string, fields?: { title?: string }): Promise<string>;
  /** Fills the user's rate-limit window for `action` with `count` requests made in the last hour. */
  setRequestsThisHour(userId: string, action: string, count: number): Promise<void>;
  close(): Promise<void>;
}

/** `overrides` replace env entries; `undefined` removes one (e.g. `{ OPENAI_API_KEY: undefined }`). */
export async function startWorld(overrides: Record<string, string | undefined> = {}): Promise<TestWorld> {
  const sql = postgres(testDatabaseUrl(), { max: 2, onnotice: () => {}, idle_timeout: 5 });
  const ai = startFakeAi();
  const supabase = await startFakeSupabase();
  const env: Record<string, string> = {
    SUPABASE_DB_URL: testDatabaseUrl(),
    SUPABASE_URL: supabase.url,
    SUPABASE_SERVICE_ROLE_KEY: TEST_SERVICE_ROLE_KEY,
    JWT_SECRET: TEST_JWT_SECRET,
    ...ai.env(),
    // Short deadlines keep the suite fast; tests of timeouts set their own.
    AI_PROVIDER_TIMEOUT_MS: "3000",
    HEALTH_CHECK_TIMEOUT_MS: "1000",
    HEALTH_CACHE_SECONDS: "0",
    MARKETPLACE_CACHE_SECONDS: "0",
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const close = async () => {
    await Promise.all([sql.end({ timeout: 1 }), ai.close(), supabase.close()]);
  };
  return {
    env,
    sql,
    ai,
    supabase,
    async createUser(options = {}) {
      const id = crypto.randomUUID();
      const email = options.email ?? `user-${id.slice(0, 8)}@example.test`;
      await sql`
        insert into auth.users (id, email, raw_user_meta_data)
        values (${id}, ${email}, ${sql.json({ full_name: "Test User" })})`;
      if (options.tier) await sql`update public.profiles set subscription_tier = ${options.tier} where id = ${id}`;
      return { id, email, token: await mintToken({ sub: id, email }) };
    },
    async createConversation(userId, fields = {}) {
      const [row] = await sql`
        insert into public.conversations (user_id, title) values (${userId}, ${fields.title ?? "A test chat"})
        returning id`;
      return row.id;
    },
    async setRequestsThisHour(userId, action, count) {
      await sql`
        insert into public.usage_metrics (user_id, action, metric_type, quantity, created_at)
        select ${userId}, ${action}, 'request', 1, now() - interval '30 minutes'
        from generate_series(1, ${count})`;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

export interface CallOptions {
  method?: string;
  /** Sent as JSON; a string is sent as is. */
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

/** A Request as Supabase's gateway would pass it to the function. */
export function request(name: string, options: CallOptions = {}): Request {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers.set("content-type", "application/json");
  }
  return new Request(`http://localhost/functions/v1/${name}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
}
