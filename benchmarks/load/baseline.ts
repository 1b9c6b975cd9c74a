/**
 * The load run's baseline: a bare Deno handler doing the marketplace directory's query (verified, active listings
 * of one profession, first 20), with no gateway, token, rate limit or row-level security. Each function's p95 is
 * reported as a ratio to this one's, measured in the same run on the same machine and database.
 *
 * Prints `BASELINE_READY {"url"}`; serves until SIGTERM. SUPABASE_DB_URL, and BASELINE_POOL (default 5).
 */
import postgres from "npm:postgres@3.4.9";

if (import.meta.main) {
  const sql = postgres(Deno.env.get("SUPABASE_DB_URL")!, { max: Number(Deno.env.get("BASELINE_POOL") ?? 5) });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const profession = new URL(req.url).searchParams.get("profession") ?? "lawyer";
    const listings = await sql`
      select id, display_name, profession, bio, specialties, languages, hourly_rate_cents, currency, rating,
             review_count
      from public.professionals
      where is_verified and is_active and profession = ${profession}
      order by rating_score desc nulls last, review_count desc, id limit 20`;
    return Response.json({ listings });
  });
  console.log(`BASELINE_READY ${JSON.stringify({ url: `http://127.0.0.1:${server.addr.port}` })}`);
  Deno.addSignalListener("SIGTERM", async () => {
    await server.shutdown();
    await sql.end({ timeout: 1 });
    Deno.exit(0);
  });
}
