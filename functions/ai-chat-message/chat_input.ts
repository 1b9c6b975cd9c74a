/** The provider request built from the chat's settings and history, and what is stored about it with the reply. */
import type { ModelChoice } from "../_shared/ai/fallback.ts";
import type { ChatInput } from "../_shared/ai/fallback.ts";
import type { UserRequestContext } from "../_shared/function.ts";
import { storableText } from "../_shared/storable.ts";
import type { ChatContext } from "./chat_store.ts";

export function chatInput(chat: ChatContext, content: string): ChatInput {
  return {
    system: chat.settings.system,
    temperature: chat.settings.temperature,
    maxTokens: chat.settings.maxTokens,
    messages: [...chat.history, { role: "user", content }],
  };
}

export function replyMetadata(
  ctx: UserRequestContext,
  requested: ModelChoice,
  attempts: readonly { provider: string; outcome: string; detail: string }[],
  providerModel?: string,
): Record<string, unknown> {
  return {
    request_id: ctx.requestId,
    requested,
    attempts: attempts.map(({ provider, outcome, detail }) => ({ provider, outcome, detail })),
    // The provider's own name for the model: its text, like the reply's, is made storable (no NUL in jsonb).
    ...(providerModel ? { provider_model: storableText(providerModel) } : {}),
  };
}
