/** The body of a chat request (guide 000, section 5.4), validated; every problem names its field. */
import { ACCEPTED_PROVIDER_NAMES, parseProviderName } from "../_shared/ai/providers.ts";
import { storableString } from "../_shared/storable.ts";
import { z } from "../_shared/validation.ts";

export const MAX_CONTENT_CHARACTERS = 32_000;

export const ChatRequestBody = z.object({
  conversation_id: z
    .string({ required_error: "is required", invalid_type_error: "must be a string (a conversation's UUID)" })
    .uuid("must be a UUID (the id of one of your conversations)"),
  // The same cap as the messages table's (messages_content_size), and nothing the table would refuse: checked
  // here, before the provider is paid for an answer that could not be saved.
  content: storableString(
    z
      .string({ required_error: "is required", invalid_type_error: "must be a string" })
      .trim()
      .min(1, "must not be empty")
      .max(MAX_CONTENT_CHARACTERS, `must be at most ${MAX_CONTENT_CHARACTERS} characters`),
  ),
  model_provider: z
    .string({ invalid_type_error: "must be a string" })
    .transform((name, ctx) => {
      const id = parseProviderName(name);
      if (!id) {
        ctx.addIssue({ code: "custom", message: `must be one of ${ACCEPTED_PROVIDER_NAMES.join(", ")}` });
        return z.NEVER;
      }
      return id;
    })
    .optional(),
  model_name: z
    .string({ invalid_type_error: "must be a string" })
    .trim()
    .min(1, "must not be empty")
    .max(100, "must be at most 100 characters")
    .regex(/^[A-Za-z0-9._:\/-]+$/, "may hold only letters, digits and . _ : / -")
    .optional(),
  stream: z.boolean({ invalid_type_error: "must be true or false" }).optional().default(false),
}, { invalid_type_error: "must be a JSON object", required_error: "is required" });

export type ChatRequestBody = z.infer<typeof ChatRequestBody>;
