/**
 * A loopback proxy that answers after a delay drawn from [min, max] ms, then forwards the request unchanged to the
 * stand-in behind it: a benchmark's instant stand-ins made to take the time the real provider takes, so that
 * concurrency (more workers, more users) behaves as it will in production.
 */
export interface SlowProxy {
  url: string;
  close(): Promise<void>;
}

/** "300-1500" or "200"; undefined when unset (no proxy wanted). */
export function latencyRange(name: string, raw: string | undefined): { min: number; max: number } | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(raw);
  if (!match) throw new Error(`${name} must be milliseconds as MIN-MAX (e.g. 300-1500), got "${raw}"`);
  return { min: Number(match[1]), max: Number(match[2] ?? match[1]) };
}

export function startSlowProxy(target: string, range: { min: number; max: number }): SlowProxy {
  const base = new URL(target);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const delay = range.min + Math.random() * (range.max - range.min);
    await new Promise((resolve) => setTimeout(resolve, delay));
    const forwarded = new URL(url.pathname + url.search, base);
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    const answer = await fetch(forwarded, { method: req.method, headers: req.headers, body });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
