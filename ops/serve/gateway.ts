/**
 * Every function in functions/ served at /functions/v1/<name>, as Supabase's gateway serves them: when the
 * function's function.json says verify_jwt (the default), a request without a valid JWT (any role, the anon key
 * included) is refused with 401 before the function runs, with the gateway's own body. CORS preflights pass.
 *
 * A function is loaded from functions/<name>/handler.ts, which must export `createHandler(env): EdgeFunction`
 * (index.ts only calls Deno.serve, so it cannot be imported).
 *
 * In tests:   const gateway = await startLocalGateway(world.env);  ... fetch(`${gateway.url}/functions/v1/x`)
 * By hand:    `ops functions serve` (ops/serve/main.ts: the local database, stand-ins for unset providers).
 */
import { verifyToken } from "../../functions/_shared/auth.ts";
import type { Env } from "../../functions/_shared/env.ts";
import type { EdgeFunction } from "../../functions/_shared/function.ts";

export const FUNCTIONS_DIR = new URL("../../functions/", import.meta.url);

export interface LocalGateway {
  url: string;
  /** The functions served, by name, with their verify_jwt setting. */
  functions: ReadonlyMap<string, { verifyJwt: boolean }>;
  close(): Promise<void>;
}

interface Loaded {
  handler: EdgeFunction;
  verifyJwt: boolean;
}

export async function startLocalGateway(env: Env, port = 0): Promise<LocalGateway> {
  const loaded = await loadFunctions(env);
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => route(req, env, loaded));
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    functions: new Map([...loaded].map(([name, fn]) => [name, { verifyJwt: fn.verifyJwt }])),
    async close() {
      await server.shutdown();
      await Promise.all([...loaded.values()].map((fn) => fn.handler.close()));
    },
  };
}

async function loadFunctions(env: Env): Promise<Map<string, Loaded>> {
  const loaded = new Map<string, Loaded>();
  const names: string[] = [];
  for await (const entry of Deno.readDir(FUNCTIONS_DIR)) {
    if (entry.isDirectory && entry.name !== "_shared" && !entry.name.startsWith(".")) names.push(entry.name);
  }
  for (const name of names.sort()) {
    const settings = await readSettings(name);
    const module = await import(new URL(`${name}/handler.ts`, FUNCTIONS_DIR).href);
    if (typeof module.createHandler !== "function") {
      throw new Error(`functions/${name}/handler.ts must export createHandler(env) returning an EdgeFunction`);
    }
    loaded.set(name, { handler: module.createHandler(env), verifyJwt: settings.verify_jwt ?? true });
  }
  return loaded;
}

async function readSettings(name: string): Promise<{ verify_jwt?: boolean }> {
  try {
    return JSON.parse(await Deno.readTextFile(new URL(`${name}/function.json`, FUNCTIONS_DIR)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
}

async function route(req: Request, env: Env, loaded: Map<string, Loaded>): Promise<Response> {
  const match = /^\/functions\/v1\/([^/]+)/.exec(new URL(req.url).pathname);
  const fn = match ? loaded.get(match[1]) : undefined;
  if (!fn) return Response.json({ code: "NOT_FOUND", message: "Requested function was not found" }, { status: 404 });
  if (fn.verifyJwt && req.method !== "OPTIONS") {
    const refusal = await gatewayRefusal(req, env);
    if (refusal) return refusal;
  }
  return await fn.handler.fetch(req);
}

// The gateway checks the signature and expiry only; roles and users are the function's business.
async function gatewayRefusal(req: Request, env: Env): Promise<Response | null> {
  const header = req.headers.get("authorization");
  if (!header) return Response.json({ code: 401, message: "Missing authorization header" }, { status: 401 });
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  try {
    if (!token) throw new Error("not a bearer token");
    await verifyToken(token, env);
    return null;
  } catch {
    return Response.json({ code: 401, message: "Invalid JWT" }, { status: 401 });
  }
}
