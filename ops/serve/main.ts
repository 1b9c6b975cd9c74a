/**
 * `ops functions serve`: every function behind the local gateway, with the environment the command passes
 * (SUPABASE_DB_URL, JWT_SECRET, PORT, and whatever provider keys the shell has). A provider whose key is unset is
 * replaced by a local stand-in (standins.ts) answering after AI_STAND_IN_LATENCY_MS (default 300-1500) or
 * EMBEDDING_STAND_IN_LATENCY_MS (default 50-200), so nothing leaves the machine unless a key says so.
 *
 * Prints one line `FUNCTIONS_SERVE_READY {"url", "functions", "stand_ins"}` when listening; serves until
 * SIGINT/SIGTERM.
 */
import { startLocalGateway } from "./gateway.ts";
import { parseLatency, startStandIns } from "./standins.ts";

export const READY_MARKER = "FUNCTIONS_SERVE_READY";

/** The provider keys a stand-in replaces when unset, with the base-URL variable pointed at it. */
const STAND_IN_PROVIDERS = [
  { name: "openai", key: "OPENAI_API_KEY", baseUrl: "OPENAI_BASE_URL", path: "/openai/v1" },
  { name: "anthropic", key: "ANTHROPIC_API_KEY", baseUrl: "ANTHROPIC_BASE_URL", path: "/anthropic" },
  { name: "gemini", key: "GOOGLE_AI_API_KEY", baseUrl: "GOOGLE_AI_BASE_URL", path: "/gemini" },
  { name: "supabase", key: "SUPABASE_SERVICE_ROLE_KEY", baseUrl: "SUPABASE_URL", path: "" },
] as const;

if (import.meta.main) {
  const env: Record<string, string> = Deno.env.toObject();
  if (!env.SUPABASE_DB_URL) throw new Error("SUPABASE_DB_URL is not set: start this through `ops functions serve`");
  const standIns = startStandIns({
    ai: parseLatency("AI_STAND_IN_LATENCY_MS", env.AI_STAND_IN_LATENCY_MS, { min: 300, max: 1500 }),
    embeddings: parseLatency("EMBEDDING_STAND_IN_LATENCY_MS", env.EMBEDDING_STAND_IN_LATENCY_MS, { min: 50, max: 200 }),
  }, env.SUPABASE_DB_URL);
  const replaced: string[] = [];
  for (const provider of STAND_IN_PROVIDERS) {
    if (env[provider.key]?.trim()) continue;
    env[provider.key] = `local-stand-in-${provider.name}`;
    env[provider.baseUrl] = `${standIns.url}${provider.path}`;
    replaced.push(provider.name);
  }
  const gateway = await startLocalGateway(env, Number(env.PORT ?? 54321));
  console.log(
    `${READY_MARKER} ${
      JSON.stringify({ url: gateway.url, functions: [...gateway.functions.keys()], stand_ins: replaced })
    }`,
  );
  const stop = async () => {
    await gateway.close();
    await standIns.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
