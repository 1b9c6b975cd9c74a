/**
 * Text by OCR with Google Cloud Vision's REST API (API key in `?key=`, as GOOGLE_VISION_API_KEY):
 *   images  POST {GOOGLE_VISION_BASE_URL}/v1/images:annotate
 *           {requests: [{image: {content: base64}, features: [{type: "DOCUMENT_TEXT_DETECTION"}]}]}
 *           -> {responses: [{fullTextAnnotation: {text}} | {error: {code, message}}]}
 *   PDFs    POST {GOOGLE_VISION_BASE_URL}/v1/files:annotate, five pages per request (the synchronous limit)
 *           {requests: [{inputConfig: {content: base64, mimeType: "application/pdf"}, features: [...], pages: [1..5]}]}
 *           -> {responses: [{responses: [{fullTextAnnotation: {text}}, ...], totalPages}]}
 * With GOOGLE_CLOUD_PROJECT_ID set, requests name it as their `parent` (billing and data residency).
 */
import { badResponse, ProviderFailure } from "../_shared/ai/failure.ts";
import { isRecord, joinUrl, postJson } from "../_shared/ai/http.ts";
import { type Env, envInt, envString, requireSecureUrl } from "../_shared/env.ts";
import { encodeBase64 } from "./base64.ts";

export interface VisionConfig {
  key?: string;
  baseUrl: string;
  parent?: string;
  timeoutMs: number;
  maxPages: number;
  /**
   * Called with the pages of each request before it is sent: the owner's daily OCR budget (the worker reserves
   * them in the spend ledger, and throws past the budget so nothing more is sent).
   */
  beforePages?: (pages: number) => Promise<void>;
}

const PAGES_PER_REQUEST = 5;
const FEATURES = [{ type: "DOCUMENT_TEXT_DETECTION" }];

export function readVisionConfig(env: Env): VisionConfig {
  const project = envString(env, "GOOGLE_CLOUD_PROJECT_ID");
  return {
    key: envString(env, "GOOGLE_VISION_API_KEY"),
    baseUrl: requireSecureUrl(env, "GOOGLE_VISION_BASE_URL", "https://vision.googleapis.com"),
    parent: project ? `projects/${project}` : undefined,
    timeoutMs: envInt(env, "GOOGLE_VISION_TIMEOUT_MS", 30_000, 100, 120_000),
    maxPages: envInt(env, "OCR_MAX_PDF_PAGES", 50, 1, 2000),
  };
}

function requireKey(config: VisionConfig): string {
  if (!config.key) throw new ProviderFailure("not_configured", "GOOGLE_VISION_API_KEY is not set");
  return config.key;
}

function url(config: VisionConfig, method: string): string {
  return `${joinUrl(config.baseUrl, `/v1/${method}`)}?key=${encodeURIComponent(requireKey(config))}`;
}

export async function ocrImage(config: VisionConfig, bytes: Uint8Array): Promise<string> {
  await config.beforePages?.(1);
  const body = { requests: [{ image: { content: encodeBase64(bytes) }, features: FEATURES }], parent: config.parent };
  const answer = await postJson(url(config, "images:annotate"), {}, body, config.timeoutMs);
  const [first] = responsesOf(answer);
  return textOf(first);
}

export async function ocrPdf(config: VisionConfig, bytes: Uint8Array): Promise<{ text: string; pages: number }> {
  const content = encodeBase64(bytes);
  const texts: string[] = [];
  // Known after the first answer; until then, the first request's five pages.
  let totalPages = PAGES_PER_REQUEST;
  for (let first = 1; first <= Math.min(totalPages, config.maxPages); first += PAGES_PER_REQUEST) {
    const last = Math.min(first + PAGES_PER_REQUEST - 1, config.maxPages, totalPages);
    const pages = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    const body = {
      requests: [{ inputConfig: { content, mimeType: "application/pdf" }, features: FEATURES, pages }],
      parent: config.parent,
    };
    await config.beforePages?.(pages.length);
    const [file] = responsesOf(await postJson(url(config, "files:annotate"), {}, body, config.timeoutMs));
    if (!isRecord(file)) throw badResponse("files:annotate answered no file response");
    if (isRecord(file.error)) throw visionError(file.error);
    totalPages = typeof file.totalPages === "number" ? file.totalPages : first + pages.length - 1;
    const pageAnswers = Array.isArray(file.responses) ? file.responses : [];
    texts.push(...pageAnswers.map(textOf));
  }
  return { text: texts.filter((t) => t).join("\n\f\n"), pages: totalPages };
}

function responsesOf(answer: unknown): unknown[] {
  if (!isRecord(answer) || !Array.isArray(answer.responses) || answer.responses.length === 0) {
    throw badResponse("Vision answered without responses");
  }
  return answer.responses;
}

function textOf(response: unknown): string {
  if (!isRecord(response)) throw badResponse("Vision answered a response that is not an object");
  if (isRecord(response.error)) throw visionError(response.error);
  // No text found is an empty annotation, not an error.
  const annotation = response.fullTextAnnotation;
  return isRecord(annotation) && typeof annotation.text === "string" ? annotation.text : "";
}

/** A per-request error inside a 200 (google.rpc.Status): the file itself was refused, retrying will not help. */
function visionError(error: Record<string, unknown>): ProviderFailure {
  const code = typeof error.code === "number" ? error.code : 0;
  // 3 INVALID_ARGUMENT: a corrupt or unsupported file.
  return new ProviderFailure(code === 3 ? "rejected" : "unavailable", `Vision refused the file (code ${code})`);
}
