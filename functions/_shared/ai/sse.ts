/**
 * Server-sent events from a streaming provider response, with a deadline on every read: a provider that stops
 * sending in the middle of an answer is abandoned like one that never answered.
 */
import { withTimeout } from "../timeout.ts";
import { badResponse } from "./failure.ts";
import { callProvider, isRecord } from "./http.ts";

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * POSTs a JSON body that asks for a stream and returns its events; the headers must come within `timeoutMs`, and
 * then each read too (readSse). Aborting `signal` stops the call.
 */
export async function postForEvents(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<AsyncGenerator<SseEvent, void, void>> {
  const { response, controller } = await callProvider(
    url,
    { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) },
    timeoutMs,
    signal,
  );
  if (!response.body) throw badResponse("the stream had no body");
  return readSse(response.body, timeoutMs, () => controller.abort());
}

export async function* readSse(
  body: ReadableStream<Uint8Array>,
  idleTimeoutMs: number,
  abort: () => void,
): AsyncGenerator<SseEvent, void, void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    while (true) {
      const { done, value } = await withTimeout(reader.read(), idleTimeoutMs, abort);
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      buffer = buffer.replace(/\r\n?/g, "\n");
      let boundary = buffer.indexOf("\n\n");
      while (boundary >= 0) {
        const event = parseEvent(buffer.slice(0, boundary));
        buffer = buffer.slice(boundary + 2);
        if (event) yield event;
        boundary = buffer.indexOf("\n\n");
      }
      if (done) {
        const last = parseEvent(buffer);
        if (last) yield last;
        return;
      }
    }
  } finally {
    // Stops the download when the consumer leaves early (client gone, deadline passed).
    reader.cancel().catch(() => {});
  }
}

function parseEvent(block: string): SseEvent | null {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":") || line === "") continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length > 0 ? { event, data: data.join("\n") } : null;
}

/** One event's data as the JSON object every provider streams; anything else is a bad answer. */
export function parseEventObject(data: string): Record<string, unknown> {
  try {
    const value = JSON.parse(data);
    if (isRecord(value)) return value;
  } catch {
    // fall through: not JSON at all
  }
  throw badResponse("the stream sent an event that is not a JSON object");
}
