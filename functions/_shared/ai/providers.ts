/**
 * Which AI providers exist, what users and operators may call them, and their settings from the environment:
 *
 *   provider  names accepted          key                 base URL (default)                              default model
 *   openai    openai                  OPENAI_API_KEY      OPENAI_BASE_URL (https://api.openai.com/v1)     OPENAI_DEFAULT_MODEL (gpt-4o-mini)
 *   claude    claude, anthropic       ANTHROPIC_API_KEY   ANTHROPIC_BASE_URL (https://api.anthropic.com)  ANTHROPIC_DEFAULT_MODEL (claude-sonnet-4-5)
 *   gemini    gemini, google          GOOGLE_AI_API_KEY   GOOGLE_AI_BASE_URL (https://generativelanguage.googleapis.com)  GOOGLE_AI_DEFAULT_MODEL (gemini-2.5-flash)
 *
 * AI_PROVIDER_FALLBACK_ORDER (default openai,anthropic,gemini), AI_PROVIDER_TIMEOUT_MS (default 30000, per attempt)
 * and AI_TOTAL_TIMEOUT_MS (default 60000, for all of one request's attempts; see budget.ts) govern the fallback. A base URL must be https (or http on loopback, for local fakes): the key travels
 * with every request.
 */
import { type Env, envInt, envList, envString, misconfigured, requireSecureUrl } from "../env.ts";
import { anthropic } from "./anthropic.ts";
import { gemini } from "./gemini.ts";
import { openai } from "./openai.ts";
import type { ProviderAdapter, ProviderId, ProviderSettings } from "./types.ts";

export const PROVIDER_IDS: readonly ProviderId[] = ["openai", "claude", "gemini"];

const ALIASES: Readonly<Record<string, ProviderId>> = {
  openai: "openai",
  claude: "claude",
  anthropic: "claude",
  gemini: "gemini",
  google: "gemini",
};

export const ACCEPTED_PROVIDER_NAMES = Object.keys(ALIASES);

export const ADAPTERS: Readonly<Record<ProviderId, ProviderAdapter>> = { openai, claude: anthropic, gemini };

const ENV_NAMES: Readonly<Record<ProviderId, { key: string; baseUrl: string; model: string }>> = {
  openai: { key: "OPENAI_API_KEY", baseUrl: "OPENAI_BASE_URL", model: "OPENAI_DEFAULT_MODEL" },
  claude: { key: "ANTHROPIC_API_KEY", baseUrl: "ANTHROPIC_BASE_URL", model: "ANTHROPIC_DEFAULT_MODEL" },
  gemini: { key: "GOOGLE_AI_API_KEY", baseUrl: "GOOGLE_AI_BASE_URL", model: "GOOGLE_AI_DEFAULT_MODEL" },
};

const DEFAULTS: Readonly<Record<ProviderId, { baseUrl: string; model: string }>> = {
  openai: { baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini" },
  claude: { baseUrl: "https://api.anthropic.com", model: "claude-sonnet-4-5" },
  gemini: { baseUrl: "https://generativelanguage.googleapis.com", model: "gemini-2.5-flash" },
};

export interface AiConfig {
  /** The fallback order (each provider once). */
  order: ProviderId[];
  /** Per attempt: for the response headers, then again for each read of the body. */
  timeoutMs: number;
  /**
   * All of one request's attempts together (until the first delta, for a stream). 60 s by default: a primary that
   * times out and one full fallback attempt, well inside the 150 s after which Supabase answers 504 by itself.
   */
  totalTimeoutMs: number;
  providers: Readonly<Record<ProviderId, ProviderSettings>>;
}

/** `openai`, `anthropic`/`claude`, `google`/`gemini` (any case) to the stored name; undefined otherwise. */
export function parseProviderName(name: string): ProviderId | undefined {
  return ALIASES[name.trim().toLowerCase()];
}

export function readAiConfig(env: Env): AiConfig {
  const order: ProviderId[] = [];
  for (const name of envList(env, "AI_PROVIDER_FALLBACK_ORDER", ["openai", "anthropic", "gemini"])) {
    const id = parseProviderName(name);
    if (!id) {
      throw misconfigured(
        `AI_PROVIDER_FALLBACK_ORDER names an unknown provider "${name}"; use ${ACCEPTED_PROVIDER_NAMES.join(", ")}`,
      );
    }
    if (!order.includes(id)) order.push(id);
  }
  const providers = Object.fromEntries(PROVIDER_IDS.map((id) => [id, settingsOf(env, id)])) as Record<
    ProviderId,
    ProviderSettings
  >;
  return {
    order,
    timeoutMs: envInt(env, "AI_PROVIDER_TIMEOUT_MS", 30_000, 50, 300_000),
    totalTimeoutMs: envInt(env, "AI_TOTAL_TIMEOUT_MS", 60_000, 50, 300_000),
    providers,
  };
}

function settingsOf(env: Env, id: ProviderId): ProviderSettings {
  const names = ENV_NAMES[id];
  const baseUrl = requireSecureUrl(env, names.baseUrl, DEFAULTS[id].baseUrl);
  return {
    id,
    apiKey: envString(env, names.key),
    keyVariable: names.key,
    baseUrl,
    defaultModel: envString(env, names.model) ?? DEFAULTS[id].model,
  };
}
