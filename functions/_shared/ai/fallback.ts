/**
 * Guide 002's "AI Service Degradation": when the chosen provider cannot answer (no key, timeout, 5xx, 429, an
 * answer of the wrong shape), the next one in AI_PROVIDER_FALLBACK_ORDER is asked, with its default model. When
 * none can, a 503 `ai_providers_unavailable` lists each provider tried and why, in words safe to show (no keys,
 * no upstream bodies). All attempts share the request's AI_TOTAL_TIMEOUT_MS (budget.ts): once it is spent, the
 * providers left are listed as `out_of_time`, not asked.
 */
import { HttpError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { AttemptBudget } from "./budget.ts";
import { asProviderFailure, badResponse, type FailureKind, ProviderFailure } from "./failure.ts";
import { ADAPTERS, type AiConfig } from "./providers.ts";
import type { ChatRequest, ChatResult, ChatStream, ProviderId, ProviderSettings, Usage } from "./types.ts";

export interface ModelChoice {
  provider: ProviderId;
  model: string;
}

export interface Attempt extends ModelChoice {
  outcome: "ok" | FailureKind;
  detail: string;
  duration_ms: number;
}

/** The request without its model: each attempt fills in the model of its provider. */
export type ChatInput = Omit<ChatRequest, "model">;

/** The chosen provider and model first, then every other provider of the fallback order with its default model. */
export function attemptPlan(config: AiConfig, primary: ModelChoice): ModelChoice[] {
  const rest = config.order
    .filter((id) => id !== primary.provider)
    .map((id) => ({ provider: id, model: config.providers[id].defaultModel }));
  return [primary, ...rest];
}

export async function completeWithFallback(
  config: AiConfig,
  primary: ModelChoice,
  input: ChatInput,
  log: Logger,
): Promise<{ choice: ModelChoice; result: ChatResult; attempts: Attempt[] }> {
  const { choice, value: result, attempts } = await firstToAnswer(
    config,
    primary,
    input,
    log,
    "answered",
    (settings, request, signal) => ADAPTERS[settings.id].complete(settings, request, config.timeoutMs, signal),
  );
  return { choice, result, attempts };
}

export interface OpenedStream {
  choice: ModelChoice;
  attempts: Attempt[];
  /** The first delta, already received: a provider that fails before any text is replaced by the next one. */
  first: string;
  rest: ChatStream;
  /** Stops the provider's stream (the client went away). */
  abort(): void;
}

/**
 * Opens a stream with the first provider that sends text. Falling back is possible only until the client has seen
 * something, so each provider must deliver its first delta within the deadline before the stream is handed on. The
 * request's time for AI providers counts until that first delta; the rest of the reply has only the idle deadline
 * (AI_PROVIDER_TIMEOUT_MS between chunks).
 */
export async function openStreamWithFallback(
  config: AiConfig,
  primary: ModelChoice,
  input: ChatInput,
  log: Logger,
): Promise<OpenedStream> {
  const { choice, value, attempts, controller } = await firstToAnswer(
    config,
    primary,
    input,
    log,
    "streaming",
    (settings, request, signal) => firstDelta(settings, request, config.timeoutMs, signal),
  );
  return { choice, attempts, first: value.first, rest: value.stream, abort: () => controller.abort() };
}

/**
 * Asks each provider of the plan in turn, within the request's time budget, until one answers. Each failure is
 * recorded as an attempt (and its call aborted, so no connection stays open); when none answers, a 503 lists them.
 */
async function firstToAnswer<T>(
  config: AiConfig,
  primary: ModelChoice,
  input: ChatInput,
  log: Logger,
  answered: string,
  call: (settings: ProviderSettings, request: ChatRequest, signal: AbortSignal) => Promise<T>,
): Promise<{ choice: ModelChoice; value: T; attempts: Attempt[]; controller: AbortController }> {
  const attempts: Attempt[] = [];
  const budget = new AttemptBudget(config.totalTimeoutMs);
  for (const choice of attemptPlan(config, primary)) {
    const started = performance.now();
    const controller = new AbortController();
    try {
      budget.ensureTimeLeft();
      const settings = configuredSettings(config, choice.provider);
      const value = await budget.bound(
        call(settings, { ...input, model: choice.model }, controller.signal),
        () => controller.abort(),
      );
      attempts.push(record(choice, "ok", answered, started));
      return { choice, value, attempts, controller };
    } catch (error) {
      controller.abort();
      attempts.push(failed(choice, error, started, log));
    }
  }
  throw new AiUnavailableError(attempts);
}

/** Opens the provider's stream and waits for its first text; the idle deadline applies to each read. */
async function firstDelta(
  settings: ProviderSettings,
  request: ChatRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ stream: ChatStream; first: string }> {
  const stream = await ADAPTERS[settings.id].stream(settings, request, timeoutMs, signal);
  const first = await stream.next();
  if (first.done) throw badResponse("the stream ended without text");
  return { stream, first: first.value };
}

/** Drains the rest of an opened stream, handing each delta to `onDelta`; returns the whole text and the usage. */
export async function drainStream(
  opened: OpenedStream,
  onDelta: (text: string) => void,
): Promise<{ text: string; usage: Usage }> {
  let text = opened.first;
  onDelta(opened.first);
  while (true) {
    const next = await opened.rest.next();
    if (next.done) return { text, usage: next.value };
    text += next.value;
    onDelta(next.value);
  }
}

export class AiUnavailableError extends HttpError {
  constructor(readonly attempts: Attempt[]) {
    const summary = attempts.map((a) => `${a.provider} (${a.detail})`).join(", ");
    super(503, "ai_providers_unavailable", `No AI provider could answer; tried ${summary}. Try again later.`, {
      details: { attempts },
      headers: { "Retry-After": "30" },
    });
    this.name = "AiUnavailableError";
  }
}

function configuredSettings(config: AiConfig, id: ProviderId) {
  const settings = config.providers[id];
  if (!settings.apiKey) {
    throw new ProviderFailure("not_configured", `not configured: ${settings.keyVariable} is not set`);
  }
  return settings;
}

function failed(choice: ModelChoice, error: unknown, started: number, log: Logger): Attempt {
  const failure = asProviderFailure(error);
  if (!(error instanceof ProviderFailure)) log.warn("AI provider call failed", { provider: choice.provider, error });
  const attempt = record(choice, failure.kind, failure.detail, started);
  log.warn("AI provider skipped", { ...attempt });
  return attempt;
}

function record(choice: ModelChoice, outcome: Attempt["outcome"], detail: string, started: number): Attempt {
  return { ...choice, outcome, detail, duration_ms: Math.round(performance.now() - started) };
}
