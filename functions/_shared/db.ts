/**
 * Database access through SUPABASE_DB_URL (postgres.js), acting as the caller so row-level security applies.
 *
 * Each unit of work is one transaction that first sets, with `set_config(..., true)` (transaction-local, the way
 * PostgREST does it), the role (`authenticated`, `anon` or `service_role`) and `request.jwt.claims` (the verified
 * claims, read by auth.uid() and auth.jwt()). Transaction-local means a pooled connection never carries one
 * caller's identity into the next caller's work, also behind Supavisor's transaction-mode pooler (port 6543);
 * prepared statements are off for that pooler too. Why not supabase-js over PostgREST: several statements in one
 * transaction (a user message and its reply saved together), and no extra HTTP hop per query.
 */
import postgres from "npm:postgres@3.4.9";
import type { Caller } from "./auth.ts";
import { type Env, envInt, requireEnv } from "./env.ts";
import { HttpError } from "./errors.ts";

export type Tx = postgres.TransactionSql;
export type Sql = postgres.Sql;

export interface DatabaseOptions {
  /** Connections in this isolate's pool (edge isolates are small; default 3). */
  maxConnections?: number;
  /** Seconds to wait for a connection (default 5). */
  connectTimeoutSeconds?: number;
  /** Per-transaction statement_timeout in ms (default DB_STATEMENT_TIMEOUT_MS, else 10000). */
  statementTimeoutMs?: number;
}

const API_ROLES = new Set(["anon", "authenticated", "service_role"]);

export class Database {
  #sql: Sql | undefined;
  #config: DatabaseConfig | undefined;
  readonly #readConfig: () => DatabaseConfig;

  /**
   * Nothing is read or connected until the first query, so a missing SUPABASE_DB_URL (or a bad setting) is
   * answered as a 500 naming the variable instead of failing the function's boot.
   */
  constructor(readConfig: () => DatabaseConfig) {
    this.#readConfig = readConfig;
  }

  /** `work` runs in one transaction as the caller (role and claims from their verified JWT). */
  asCaller<T>(caller: Caller, work: (tx: Tx) => Promise<T>): Promise<T> {
    if (!API_ROLES.has(caller.role)) {
      throw new HttpError(403, "role_not_allowed", `Tokens with role ${caller.role} cannot use this function`);
    }
    return this.#transaction(caller.role, caller.claims, work);
  }

  /** `work` runs in one transaction as service_role: for what users may not write (usage_metrics, ...). */
  asServiceRole<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#transaction("service_role", { role: "service_role" }, work);
  }

  /** A round trip, for health checks. */
  async ping(): Promise<void> {
    await this.#client()`select 1`;
  }

  /** Lets running queries finish for up to `timeoutSeconds`, then drops the connections (0: at once). */
  async close(timeoutSeconds = 1): Promise<void> {
    const sql = this.#sql;
    this.#sql = undefined;
    await sql?.end({ timeout: timeoutSeconds });
  }

  async #transaction<T>(role: string, claims: unknown, work: (tx: Tx) => Promise<T>): Promise<T> {
    const result = await this.#client().begin(async (tx) => {
      await tx`
        select set_config('role', ${role}, true),
               set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
               set_config('statement_timeout', ${String(this.#settings().statementTimeoutMs)}, true)`;
      return await work(tx);
    });
    return result as T;
  }

  #settings(): DatabaseConfig {
    this.#config ??= this.#readConfig();
    return this.#config;
  }

  #client(): Sql {
    const config = this.#settings();
    this.#sql ??= postgres(config.url, {
      max: config.maxConnections,
      connect_timeout: config.connectTimeoutSeconds,
      idle_timeout: 20,
      prepare: false,
      // Server notices (e.g. "relation already exists") are not this function's business; keep logs clean.
      onnotice: () => {},
      connection: { application_name: "edge-function" },
    });
    return this.#sql;
  }
}

export interface DatabaseConfig extends Required<DatabaseOptions> {
  url: string;
}

export function createDatabase(env: Env, options: DatabaseOptions = {}): Database {
  return new Database(() => ({
    url: requireEnv(env, "SUPABASE_DB_URL"),
    maxConnections: options.maxConnections ?? 3,
    connectTimeoutSeconds: options.connectTimeoutSeconds ?? 5,
    statementTimeoutMs: options.statementTimeoutMs ?? envInt(env, "DB_STATEMENT_TIMEOUT_MS", 10_000, 100, 600_000),
  }));
}

/**
 * Switches a transaction begun with asCaller to service_role for the rest of it, so a user's rows and the
 * backend-only rows that go with them (usage_metrics) commit together or not at all. Row-level security no longer
 * protects what follows: call it last, only for writes users may not make.
 */
export async function becomeServiceRole(tx: Tx): Promise<void> {
  await tx`
    select set_config('role', 'service_role', true),
           set_config('request.jwt.claims', ${JSON.stringify({ role: "service_role" })}, true)`;
}

/**
 * A jsonb parameter: ``tx`insert ... values (${jsonb(tx, { a: 1 })})` ``. Not `${JSON.stringify(v)}::jsonb`:
 * without prepared statements the server types that parameter jsonb and postgres.js would encode the string again.
 */
export function jsonb(tx: Tx, value: unknown): postgres.Parameter {
  return tx.json(value as postgres.JSONValue);
}

/** The SQLSTATE of a PostgreSQL error (postgres.js puts it in `code`), or undefined. */
export function sqlState(error: unknown): string | undefined {
  if (error instanceof postgres.PostgresError) return error.code;
  return undefined;
}

/** True when the database could not be reached at all (refused, timed out, closed), as opposed to a SQL error. */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" &&
    ["CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "ECONNREFUSED", "ENOTFOUND"]
      .includes(code);
}
