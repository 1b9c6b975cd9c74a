/**
 * Google Cloud Vision and Translation (v2), faked on loopback from their public REST shapes (API key in `?key=`):
 *   POST /v1/images:annotate  {requests: [{image: {content}, features}]}  -> {responses: [{fullTextAnnotation: {text}}]}
 *   POST /v1/files:annotate   {requests: [{inputConfig: {content, mimeType}, features, pages}]}
 *                             -> {responses: [{responses: [{fullTextAnnotation: {text}}...], totalPages}]}
 *   POST /language/translate/v2  {q: [...], target, source?, format}
 *                             -> {data: {translations: [{translatedText, detectedSourceLanguage?}]}}
 * What the fake "reads" from a file is its bytes as UTF-8 (PDF pages split on form feeds), so a test writes the
 * text it expects OCR to find. A file whose text starts with "CORRUPT" is refused per request (code 3), as Vision
 * does with a broken file. `mode` fails every call: "error_500", "rate_limited_429", "bad_answer" or "hang".
 */
import { json, startServer } from "./server.ts";

export const TEST_GOOGLE_KEYS = {
  vision: "AIzaTestVisionKey-0123456789abcd",
  translate: "AIzaTestTranslateKey-0123456789",
};

export type GoogleMode = "ok" | "error_500" | "rate_limited_429" | "bad_answer" | "hang";

export interface FakeGoogle {
  url: string;
  visionMode: GoogleMode;
  translateMode: GoogleMode;
  readonly visionCalls: { method: string; pages?: number[] }[];
  readonly translateCalls: { q: string[]; target: string; source?: string }[];
  close(): Promise<void>;
}

function decode(content: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(content), (c) => c.charCodeAt(0)));
}

export function startFakeGoogle(): FakeGoogle {
  const fake: FakeGoogle = {
    url: "",
    visionMode: "ok",
    translateMode: "ok",
    visionCalls: [],
    translateCalls: [],
    close: () => server.close(),
  };
  const failure = async (mode: GoogleMode, req: Request): Promise<Response | null> => {
    if (mode === "hang") {
      await server.hang(req);
      return json({}, 504);
    }
    if (mode === "error_500") return json({ error: { code: 500, message: "backend error", status: "INTERNAL" } }, 500);
    if (mode === "rate_limited_429") {
      return json({ error: { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED" } }, 429);
    }
    if (mode === "bad_answer") return json({ unexpected: true });
    return null;
  };
  const server = startServer(async (req) => {
    const url = new URL(req.url);
    const body = await req.json().catch(() => null);
    if (url.pathname.startsWith("/v1/")) {
      if (url.searchParams.get("key") !== TEST_GOOGLE_KEYS.vision) {
        return json({ error: { code: 403, message: "API key not valid", status: "PERMISSION_DENIED" } }, 403);
      }
      const request = body?.requests?.[0];
      fake.visionCalls.push({ method: url.pathname.slice(4), pages: request?.pages });
      const failed = await failure(fake.visionMode, req);
      if (failed) return failed;
      if (url.pathname === "/v1/images:annotate") {
        const text = decode(request.image.content);
        if (text.startsWith("CORRUPT")) {
          return json({ responses: [{ error: { code: 3, message: "Bad image data." } }] });
        }
        return json({ responses: [{ fullTextAnnotation: { text } }] });
      }
      if (url.pathname === "/v1/files:annotate") {
        const pages = decode(request.inputConfig.content).split("\f");
        const wanted: number[] = request.pages ?? [1, 2, 3, 4, 5];
        const responses = wanted.filter((p) => p <= pages.length).map((p) => ({
          fullTextAnnotation: { text: pages[p - 1] },
          context: { pageNumber: p },
        }));
        return json({ responses: [{ responses, totalPages: pages.length }] });
      }
    }
    if (url.pathname === "/language/translate/v2") {
      if (url.searchParams.get("key") !== TEST_GOOGLE_KEYS.translate) {
        return json({ error: { code: 403, message: "API key not valid", status: "PERMISSION_DENIED" } }, 403);
      }
      const q: string[] = Array.isArray(body?.q) ? body.q : [body?.q];
      fake.translateCalls.push({ q, target: body?.target, source: body?.source });
      const failed = await failure(fake.translateMode, req);
      if (failed) return failed;
      const translations = q.map((text) => ({
        translatedText: `[${body.target}] ${text}`,
        ...(body.source ? {} : { detectedSourceLanguage: "en" }),
      }));
      return json({ data: { translations } });
    }
    return json({ error: { code: 404, message: `no fake for ${url.pathname}` } }, 404);
  });
  fake.url = server.url;
  return fake;
}
