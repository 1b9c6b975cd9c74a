/**
 * What PostgreSQL refuses to store: the NUL character, in text and in jsonb strings. Checked before anything
 * costs money (a provider call), so a request the database would refuse is a 400, not a paid call and then a 500.
 */
import { z } from "./validation.ts";

const NUL = "\u0000";

export const NUL_MESSAGE = "must not contain the NUL character (\\u0000), which the database cannot store";

/** A zod string that the database can store. */
export function storableString(schema: z.ZodString = z.string()): z.ZodEffects<z.ZodString> {
  return schema.refine((text) => !text.includes(NUL), NUL_MESSAGE);
}

/** Text from elsewhere (a provider's reply) made storable: each NUL becomes U+FFFD, the replacement character. */
export function storableText(text: string): string {
  return text.includes(NUL) ? text.replaceAll(NUL, "\uFFFD") : text;
}
