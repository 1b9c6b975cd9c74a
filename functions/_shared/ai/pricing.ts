/**
 * An estimate of what a call cost, for usage_metrics.cost_usd: list prices in USD per million tokens (input,
 * output) as published by the providers in 2025. Matched by model-name prefix, longest first, so a dated
 * snapshot (gpt-4o-mini-2024-07-18) finds its family. Unknown models cost null: no guess is better than a wrong one.
 */
import type { ProviderId, Usage } from "./types.ts";

const PRICES_PER_MILLION: Readonly<Record<ProviderId, Readonly<Record<string, readonly [number, number]>>>> = {
  openai: {
    "gpt-4o-mini": [0.15, 0.6],
    "gpt-4o": [2.5, 10],
    "gpt-4.1-mini": [0.4, 1.6],
    "gpt-4.1": [2, 8],
    "gpt-4-turbo": [10, 30],
    "gpt-4": [30, 60],
    "gpt-3.5-turbo": [0.5, 1.5],
  },
  claude: {
    "claude-sonnet-4": [3, 15],
    "claude-3-7-sonnet": [3, 15],
    "claude-3-5-sonnet": [3, 15],
    "claude-3-5-haiku": [0.8, 4],
    "claude-haiku-4": [1, 5],
    "claude-opus-4": [15, 75],
    "claude-3-opus": [15, 75],
  },
  gemini: {
    "gemini-2.5-flash-lite": [0.1, 0.4],
    "gemini-2.5-flash": [0.3, 2.5],
    "gemini-2.5-pro": [1.25, 10],
    "gemini-2.0-flash": [0.1, 0.4],
    "gemini-1.5-flash": [0.075, 0.3],
    "gemini-1.5-pro": [1.25, 5],
  },
};

export function estimateCostUsd(provider: ProviderId, model: string, usage: Usage): number | null {
  if (usage.inputTokens === null || usage.outputTokens === null) return null;
  const prices = PRICES_PER_MILLION[provider];
  const family = Object.keys(prices)
    .sort((a, b) => b.length - a.length)
    .find((prefix) => model.toLowerCase().startsWith(prefix));
  if (!family) return null;
  const [input, output] = prices[family];
  const cost = (usage.inputTokens * input + usage.outputTokens * output) / 1_000_000;
  return Math.round(cost * 1_000_000) / 1_000_000;
}
