/**
 * A loopback HTTP server for fakes. `hang()` lets a fake hold a request open (to test timeouts) until the server
 * closes; close() releases every held request first, so shutting down never waits on them.
 */

export interface TestServer {
  url: string;
  /** Resolves when the server closes (the client has long given up by then). */
  hang(req: Request): Promise<void>;
  close(): Promise<void>;
}

export function startServer(handle: (req: Request, server: TestServer) => Response | Promise<Response>): TestServer {
  const held = new Set<() => void>();
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => handle(req, server));
  const server: TestServer = {
    url: `http://127.0.0.1:${http.addr.port}`,
    hang(_req: Request): Promise<void> {
      // Not req.signal: Deno.serve aborts it on successful responses too, and warns about listeners on it.
      return new Promise<void>((resolve) => {
        const release = () => {
          held.delete(release);
          resolve();
        };
        held.add(release);
      });
    },
    async close(): Promise<void> {
      for (const release of [...held]) release();
      await http.shutdown();
    },
  };
  return server;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/**
 * A server-sent events body. It is sent in small pieces that cut through events and lines, as networks do, so
 * the parser under test must reassemble them.
 */
export function sse(events: readonly { event?: string; data: unknown }[], pieceBytes = 13): Response {
  const text = events
    .map(({ event, data }) =>
      `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`
    )
    .join("");
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + pieceBytes));
      offset += pieceBytes;
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}
