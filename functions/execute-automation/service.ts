/**
 * The call to the automation service: POST to AUTOMATION_SERVICE_URL (as configured, e.g.
 * https://automation.example.com/run) with a JSON body, signed with WEBHOOK_SECRET (headers in ../_shared/hmac.ts;
 * X-Webhook-Id is the job id). The service runs the workflow's steps and answers 2xx with the result as JSON.
 *
 * Body sent:
 *   {"job_id", "workflow_id", "user_id", "workflow": {"name", "steps"}, "input", "requested_at"}
 *
 * Whatever goes wrong becomes a ServiceFailure whose message is stored on the job, so the user sees it: it says
 * what happened (status code, timeout, not JSON) and never quotes the service's answer or our settings.
 */
import { signWebhook } from "../_shared/hmac.ts";
import { fetchWithTimeout, textWithTimeout, TimeoutError } from "../_shared/timeout.ts";
import type { Job, Workflow } from "./jobs.ts";

export const RESULT_MAX_BYTES = 5 * 1024 * 1024;

export interface ServiceSettings {
  url: string;
  secret: string;
  timeoutMs: number;
}

export interface ServiceResult {
  /** The service's JSON answer, as received (stored as is). */
  text: string;
  value: unknown;
}

export class ServiceFailure extends Error {
  constructor(message: string, readonly timedOut = false) {
    super(message);
    this.name = "ServiceFailure";
  }
}

export function serviceBody(job: Job, workflow: Workflow, userId: string, input: Record<string, unknown>): string {
  return JSON.stringify({
    job_id: job.id,
    workflow_id: workflow.id,
    user_id: userId,
    workflow: { name: workflow.name, steps: workflow.steps },
    input,
    requested_at: new Date().toISOString(),
  });
}

/** Runs the job on the service; throws ServiceFailure. One deadline covers the answer's headers and body. */
export async function runOnService(settings: ServiceSettings, jobId: string, body: string): Promise<ServiceResult> {
  const deadline = Date.now() + settings.timeoutMs;
  const tooSlow = () =>
    new ServiceFailure(`the automation service did not answer within ${settings.timeoutMs} ms`, true);
  let status: number;
  let text: string;
  try {
    const headers = { "Content-Type": "application/json", ...await signWebhook(settings.secret, body, jobId) };
    const { response, controller } = await fetchWithTimeout(
      settings.url,
      { method: "POST", headers, body },
      settings.timeoutMs,
    );
    status = response.status;
    text = await textWithTimeout(response, controller, Math.max(1, deadline - Date.now()));
  } catch (error) {
    if (error instanceof TimeoutError) throw tooSlow();
    throw new ServiceFailure("the automation service could not be reached");
  }
  if (status < 200 || status > 299) throw new ServiceFailure(`the automation service answered HTTP ${status}`);
  if (new TextEncoder().encode(text).length > RESULT_MAX_BYTES) {
    throw new ServiceFailure(`the automation service's result is larger than ${RESULT_MAX_BYTES} bytes`);
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch {
    throw new ServiceFailure(`the automation service answered HTTP ${status} but not with JSON`);
  }
}
