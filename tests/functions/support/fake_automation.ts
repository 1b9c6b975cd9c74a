/**
 * A fake automation service, written from the contract execute-automation documents (functions/_shared/hmac.ts
 * and functions/execute-automation/service.ts), not from its code: it checks the signature with node:crypto on
 * the raw body, refuses a stale timestamp or a delivery id it has seen (replay), and answers 401 to anything it
 * cannot verify. `mode`: "ok" (200 with `result`), "error_500", "not_json" (200 with HTML) or "hang".
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { json, startServer } from "./server.ts";

export const WEBHOOK_TEST_SECRET = "whsec-test-automation-3f9a1c7e";
const TOLERANCE_SECONDS = 300;

export type AutomationMode = "ok" | "error_500" | "not_json" | "hang";

export interface Delivery {
  headers: Headers;
  rawBody: string;
  /** Parsed when the signature was valid. */
  body: Record<string, unknown> | null;
  /** Why it was refused, or null when it was accepted. */
  refused: string | null;
}

export interface FakeAutomation {
  url: string;
  mode: AutomationMode;
  /** What the service answers in "ok" mode. */
  result: Record<string, unknown>;
  readonly deliveries: Delivery[];
  /** Deliveries that passed the signature check. */
  accepted(): Delivery[];
  /** Called after a verified request arrives, before answering (e.g. to look at the job while it runs). */
  onAccepted?: (delivery: Delivery) => Promise<void>;
  close(): Promise<void>;
}

export function startFakeAutomation(secret = WEBHOOK_TEST_SECRET): FakeAutomation {
  const seenIds = new Set<string>();
  const fake: FakeAutomation = {
    url: "",
    mode: "ok",
    result: { status: "done", screenshots: ["step-1.png"], extracted: { price: "42.00" } },
    deliveries: [],
    accepted: () => fake.deliveries.filter((d) => d.refused === null),
    close: () => server.close(),
  };
  const server = startServer(async (req, self) => {
    const rawBody = await req.text();
    const refused = check(secret, req.headers, rawBody, seenIds);
    const delivery: Delivery = { headers: req.headers, rawBody, body: refused ? null : JSON.parse(rawBody), refused };
    fake.deliveries.push(delivery);
    if (refused) return json({ error: refused }, 401);
    seenIds.add(req.headers.get("x-webhook-id")!);
    await fake.onAccepted?.(delivery);
    switch (fake.mode) {
      case "hang":
        await self.hang(req);
        return json({ error: "the client went away" }, 504);
      case "error_500":
        return json({ error: "browser crashed" }, 500);
      case "not_json":
        return new Response("<html>ok</html>", { headers: { "content-type": "text/html" } });
      default:
        return json(fake.result);
    }
  });
  fake.url = `${server.url}/run`;
  return fake;
}

function check(secret: string, headers: Headers, rawBody: string, seenIds: Set<string>): string | null {
  const timestamp = headers.get("x-webhook-timestamp") ?? "";
  const signature = headers.get("x-webhook-signature") ?? "";
  const id = headers.get("x-webhook-id") ?? "";
  if (!/^\d+$/.test(timestamp) || !signature.startsWith("v1=") || !id) return "missing signature headers";
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return "stale timestamp";
  const expected = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest();
  const given = Buffer.from(signature.slice(3), "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "bad signature";
  if (seenIds.has(id)) return "replayed delivery";
  return null;
}
