/** One call to a provider: a deadline, the status mapped to a ProviderFailure, the body read within the deadline. */
import { fetchWithTimeout, textWithTimeout } from "../timeout.ts";
import { asProviderFailure, failureFromStatus } from "./failure.ts";

export interface ProviderResponse {
  response: Response;
  controller: AbortController;
}

/** A 2xx response, or a ProviderFailure (the error body is discarded unread: it is not ours to show). */
export async function callProvider(
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProviderResponse> {
  let answer: ProviderResponse;
  try {
    answer = await fetchWithTimeout(url, init, timeoutMs, signal);
  } catch (error) {
    throw asProviderFailure(error);
  }
  if (!answer.response.ok) {
    await answer.response.body?.cancel().catch(() => {});
    throw failureFromStatus(answer.response.status);
  }
  return answer;
}

/**
 * POSTs JSON and parses the JSON answer, all within `timeoutMs` for the headers and again for the body; aborting
 * `signal` stops either.
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  timeoutMs: number,
  signal?: AbortSignal,
) {
  const { response, controller } = await callProvider(
    url,
    { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) },
    timeoutMs,
    signal,
  );
  try {
    return JSON.parse(await textWithTimeout(response, controller, timeoutMs)) as unknown;
  } catch (error) {
    throw asProviderFailure(error);
  }
}

/** GETs and discards the body: for health probes, where only the status matters. */
export async function probeGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const { response } = await callProvider(url, { method: "GET", headers }, timeoutMs);
  await response.body?.cancel().catch(() => {});
}

/** Joins a base URL (with or without a trailing slash) and a path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A non-negative whole number, or null (providers omit usage in some answers). */
export function tokenCount(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : null;
}
