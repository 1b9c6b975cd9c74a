/**
 * A webhook's body exactly as sent: signatures are computed over these bytes, so nothing may parse or re-encode
 * them first. Capped while reading by the shared reader (a declared Content-Length over the cap is refused before
 * any byte is read, an undeclared stream is cut off at the cap), so a huge body never sits in memory.
 */
import { readTextBody } from "../_shared/validation.ts";

export const MAX_WEBHOOK_BYTES = 512 * 1024;

export function readRawBody(req: Request, maxBytes = MAX_WEBHOOK_BYTES): Promise<string> {
  // A body that is not UTF-8 is not an event of either provider.
  return readTextBody(req, maxBytes, "The webhook body is not UTF-8 text");
}
