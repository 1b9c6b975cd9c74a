/**
 * A webhook's body exactly as sent: signatures are computed over these bytes, so nothing may parse or re-encode
 * them first. Capped while reading (a declared Content-Length over the cap is refused before any byte is read,
 * and an undeclared stream is cut off at the cap), so a huge body never sits in memory.
 */
import { HttpError } from "../_shared/errors.ts";

export const MAX_WEBHOOK_BYTES = 512 * 1024;

export async function readRawBody(req: Request, maxBytes = MAX_WEBHOOK_BYTES): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  // fatal: a body that is not UTF-8 is not an event of either provider.
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid_body", "The webhook body is not UTF-8 text");
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "body_too_large", `The webhook body is larger than ${maxBytes} bytes`);
}
