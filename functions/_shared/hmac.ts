/**
 * Signed outbound webhooks: the receiver proves a request came from us, unchanged and recently.
 *
 * The signature is HMAC-SHA256, keyed with the shared secret (WEBHOOK_SECRET), over `<timestamp>.<exact body>`,
 * sent as two headers:
 *
 *   X-Webhook-Timestamp: 1767225600                 (Unix seconds when it was signed)
 *   X-Webhook-Signature: v1=<64 lowercase hex chars>
 *
 * The receiver recomputes the HMAC over the raw body bytes it received (before any JSON parsing), compares in
 * constant time, and refuses a timestamp more than 5 minutes away from its clock: a captured request cannot be
 * replayed later. Within that window it refuses a repeated X-Webhook-Id (the sender's unique id for the
 * delivery). The timestamp is inside the signed text, so it cannot be changed without breaking the signature.
 * `verifyWebhookSignature` below is that check, for receivers written in TypeScript (and for the tests' fake).
 */

export const TIMESTAMP_HEADER = "X-Webhook-Timestamp";
export const SIGNATURE_HEADER = "X-Webhook-Signature";
export const ID_HEADER = "X-Webhook-Id";
export const SIGNATURE_VERSION = "v1";
export const DEFAULT_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    usage,
  ]);
}

function signedText(timestamp: string, body: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${timestamp}.${body}`);
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

/** The headers that sign `body` (send exactly these bytes as the request body). */
export async function signWebhook(
  secret: string,
  body: string,
  deliveryId: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<Record<string, string>> {
  const timestamp = String(nowSeconds);
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), signedText(timestamp, body));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `${SIGNATURE_VERSION}=${toHex(mac)}`,
    [ID_HEADER]: deliveryId,
  };
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * The receiver's check. `body` is the raw request body as received. Replays inside the tolerance window are the
 * receiver's to refuse, by remembering X-Webhook-Id values for that long.
 */
export async function verifyWebhookSignature(
  secret: string,
  body: string,
  headers: Headers,
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, nowSeconds = Math.floor(Date.now() / 1000) } = {},
): Promise<VerifyResult> {
  const timestamp = headers.get(TIMESTAMP_HEADER);
  const signature = headers.get(SIGNATURE_HEADER);
  if (!timestamp || !signature) return { ok: false, reason: `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER}` };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `${TIMESTAMP_HEADER} is not Unix seconds` };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} is more than ${toleranceSeconds} s away from now` };
  }
  const prefix = `${SIGNATURE_VERSION}=`;
  const mac = signature.startsWith(prefix) ? fromHex(signature.slice(prefix.length)) : undefined;
  if (!mac) return { ok: false, reason: `${SIGNATURE_HEADER} must be ${prefix}<64 hex chars>` };
  // crypto.subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), mac, signedText(timestamp, body));
  return valid ? { ok: true } : { ok: false, reason: "signature does not match the body" };
}
