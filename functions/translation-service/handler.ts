/**
 * translation-service: a document's text, or a given text (a chat answer), translated by Google Cloud
 * Translation; the result is kept (public.translations, per user), so the same request is answered from it and
 * not paid for twice.
 *
 *   {"document_id": "<uuid>" | "text": "...", "target_language": "de", "source_language"?: "en"}
 *   -> 200 {translated_text, target_language, source_language, detected_source_language, characters, cached}
 *
 * A document is read as the caller (their own, or shared with them through a family vault) and must be processed.
 */
import { asProviderFailure } from "../_shared/ai/failure.ts";
import { createDatabase } from "../_shared/db.ts";
import { type Env, envInt } from "../_shared/env.ts";
import { HttpError, notFound } from "../_shared/errors.ts";
import { createUserFunction, type EdgeFunction } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { SpendBudgetExceeded, withSpend } from "../_shared/spend.ts";
import { parseBody, z } from "../_shared/validation.ts";
import { readTranslateConfig, translate } from "./google_translate.ts";

const NAME = "translation-service";
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

const TranslateRequest = z.object({
  document_id: z.string({ invalid_type_error: "must be a string" }).uuid("must be a document's UUID").optional(),
  text: z.string({ invalid_type_error: "must be a string" }).min(1, "must not be empty")
    .refine((t) => !t.includes("\0"), "must not contain NUL characters").optional(),
  target_language: z.string({ required_error: "is required", invalid_type_error: "must be a string" })
    .regex(LANGUAGE, "must be a language code such as de, fr or zh-TW"),
  source_language: z.string({ invalid_type_error: "must be a string" })
    .regex(LANGUAGE, "must be a language code such as en").optional(),
}, { invalid_type_error: "must be a JSON object" }).strict("has unknown fields")
  .refine((b) => (b.document_id === undefined) !== (b.text === undefined), {
    message: "send exactly one of document_id and text",
    path: ["document_id"],
  });

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction({ name: NAME, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    const limit = await enforceRateLimit(db, ctx.user, NAME);
    const body = await parseBody(req, TranslateRequest);
    const maxCharacters = envInt(env, "TRANSLATION_MAX_CHARACTERS", 100_000, 100, 1_000_000);
    const source = body.text ?? (await documentText(db, ctx.user, body.document_id!));
    if (source.length > maxCharacters) {
      throw new HttpError(
        413,
        "text_too_long",
        `The text has ${source.length} characters; at most ${maxCharacters} are translated per request`,
        { details: { limit: maxCharacters } },
      );
    }
    const sha256 = await sha256Hex(source);
    const sourceLanguage = body.source_language ?? "";
    const [hit] = await db.asCaller(
      ctx.user,
      (tx) =>
        tx<{ translated_text: string; detected_language: string | null }[]>`
        select translated_text, detected_language from public.translations
        where user_id = ${ctx.user.userId} and source_sha256 = ${sha256}
          and source_language = ${sourceLanguage} and target_language = ${body.target_language}`,
    );
    const answer = (text: string, detected: string | null, cached: boolean) =>
      jsonResponse(
        {
          translated_text: text,
          target_language: body.target_language,
          source_language: body.source_language ?? null,
          detected_source_language: detected,
          characters: source.length,
          cached,
        },
        200,
        rateLimitHeaders(limit),
      );
    if (hit) return answer(hit.translated_text, hit.detected_language, true);

    // Google bills every character sent: they count against the tier's daily budget before the call (a 429 past
    // it), and are given back if the call fails.
    let result;
    try {
      result = await withSpend(
        db,
        ctx.user.userId,
        "translation_characters",
        source.length,
        NAME,
        () => translate(readTranslateConfig(env), source, body.target_language, body.source_language),
      );
    } catch (error) {
      if (error instanceof SpendBudgetExceeded) throw error;
      const failure = asProviderFailure(error);
      ctx.log.warn("translation failed", { kind: failure.kind, detail: failure.detail });
      throw new HttpError(503, "translation_unavailable", `Google Translation could not answer: ${failure.detail}`, {
        headers: { "Retry-After": "30" },
      });
    }
    // Kept as the backend (users may not write the cache), with its usage row in the same transaction; a
    // concurrent identical request keeps the first translation.
    await db.asServiceRole(async (tx) => {
      await tx`
        insert into public.translations (user_id, document_id, source_sha256, source_language, target_language,
                                         detected_language, translated_text, characters)
        values (${ctx.user.userId}, ${body.document_id ?? null}, ${sha256}, ${sourceLanguage}, ${body.target_language},
                ${result.detectedLanguage}, ${result.text}, ${source.length})
        on conflict (user_id, source_sha256, source_language, target_language) do nothing`;
      await tx`
        insert into public.usage_metrics (user_id, action, metric_type, quantity)
        values (${ctx.user.userId}, ${NAME}, 'characters', ${source.length})`;
    });
    return answer(result.text, result.detectedLanguage, false);
  });
}

async function documentText(
  db: ReturnType<typeof createDatabase>,
  user: Parameters<typeof db.asCaller>[0],
  id: string,
) {
  const [doc] = await db.asCaller(user, (tx) =>
    tx<{ status: string; extracted_text: string | null }[]>`
      select status, extracted_text from public.documents where id = ${id}`);
  if (!doc) {
    throw notFound("document_not_found", `Document ${id} was not found among the documents you can read`);
  }
  if (doc.status !== "completed" || !doc.extracted_text) {
    throw new HttpError(
      409,
      "document_not_processed",
      `Document ${id} has no text yet (status ${doc.status}); translate it once processing has completed`,
    );
  }
  return doc.extracted_text;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
