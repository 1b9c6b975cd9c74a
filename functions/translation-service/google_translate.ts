/**
 * Google Cloud Translation, basic edition (v2), with an API key (GOOGLE_TRANSLATE_API_KEY):
 *   POST {GOOGLE_TRANSLATE_BASE_URL}/language/translate/v2?key=...  {q: [...], target, source?, format: "text"}
 *   -> {data: {translations: [{translatedText, detectedSourceLanguage?}]}}
 * Long texts go as several segments (at most 128 per request, each under 5,000 characters, Google's guidance),
 * cut at paragraph or sentence ends, and are joined back in order.
 */
import { badResponse, ProviderFailure } from "../_shared/ai/failure.ts";
import { isRecord, joinUrl, postJson } from "../_shared/ai/http.ts";
import { type Env, envInt, envString, requireSecureUrl } from "../_shared/env.ts";

const SEGMENT_CHARACTERS = 4500;
const SEGMENTS_PER_REQUEST = 128;

export interface TranslateConfig {
  key?: string;
  baseUrl: string;
  timeoutMs: number;
}

export function readTranslateConfig(env: Env): TranslateConfig {
  return {
    key: envString(env, "GOOGLE_TRANSLATE_API_KEY"),
    baseUrl: requireSecureUrl(env, "GOOGLE_TRANSLATE_BASE_URL", "https://translation.googleapis.com"),
    timeoutMs: envInt(env, "GOOGLE_TRANSLATE_TIMEOUT_MS", 20_000, 100, 120_000),
  };
}

export interface Translation {
  text: string;
  detectedLanguage: string | null;
}

export async function translate(
  config: TranslateConfig,
  text: string,
  target: string,
  source: string | undefined,
): Promise<Translation> {
  if (!config.key) throw new ProviderFailure("not_configured", "GOOGLE_TRANSLATE_API_KEY is not set");
  const url = `${joinUrl(config.baseUrl, "/language/translate/v2")}?key=${encodeURIComponent(config.key)}`;
  const segments = splitSegments(text);
  const out: string[] = [];
  let detected: string | null = null;
  for (let start = 0; start < segments.length; start += SEGMENTS_PER_REQUEST) {
    const q = segments.slice(start, start + SEGMENTS_PER_REQUEST);
    const answer = await postJson(
      url,
      {},
      { q, target, ...(source ? { source } : {}), format: "text" },
      config.timeoutMs,
    );
    const translations = isRecord(answer) && isRecord(answer.data) && Array.isArray(answer.data.translations)
      ? answer.data.translations
      : undefined;
    if (!translations || translations.length !== q.length) {
      throw badResponse("the answer had no translation per segment");
    }
    for (const item of translations) {
      if (!isRecord(item) || typeof item.translatedText !== "string") throw badResponse("a translation had no text");
      out.push(item.translatedText);
      if (!detected && typeof item.detectedSourceLanguage === "string") detected = item.detectedSourceLanguage;
    }
  }
  return { text: out.join(""), detectedLanguage: detected };
}

/** Pieces under SEGMENT_CHARACTERS whose concatenation is the text, cut after a paragraph or sentence if possible. */
export function splitSegments(text: string): string[] {
  const segments: string[] = [];
  let rest = text;
  while (rest.length > SEGMENT_CHARACTERS) {
    const window = rest.slice(0, SEGMENT_CHARACTERS);
    let cut = Math.max(window.lastIndexOf("\n\n"), window.lastIndexOf(". "), window.lastIndexOf("\n"));
    if (cut < SEGMENT_CHARACTERS / 2) cut = window.lastIndexOf(" ");
    cut = cut < SEGMENT_CHARACTERS / 2 ? SEGMENT_CHARACTERS : cut + 1;
    segments.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) segments.push(rest);
  return segments;
}
