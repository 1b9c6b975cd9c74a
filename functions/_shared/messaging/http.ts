/** One provider call with a deadline: the status, headers and text, or a retryable ChannelFailure. */
import { fetchWithTimeout, textWithTimeout, TimeoutError } from "../timeout.ts";
import { ChannelFailure } from "./failure.ts";

export interface ProviderAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export async function callProvider(
  provider: string,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<ProviderAnswer> {
  try {
    const { response, controller } = await fetchWithTimeout(url, init, timeoutMs);
    const text = await textWithTimeout(response, controller, timeoutMs);
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (error instanceof TimeoutError) {
      throw new ChannelFailure(`${provider} did not answer within ${timeoutMs} ms`, true);
    }
    throw new ChannelFailure(`${provider} could not be reached`, true);
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
