// Guide 000 section 10.5's load test over the platform's functions: ramp to PEAK_VUS (100) users, hold, ramp down,
// each user repeating a realistic mix with a think time between requests. Run by benchmarks/load/run.py (`make
// load`), locally against `ops functions serve` or against staging (.github/workflows/load-test.yml).
//
// Environment:
//   BASE_URL         .../functions/v1
//   USERS_FILE       JSON [{token, conversation_id?}], one signed-in user per VU (tokens reused for the whole run);
//   or SUPABASE_URL, SUPABASE_ANON_KEY, LOAD_EMAIL, LOAD_PASSWORD: one test user signed in once by setup()
//   STRIPE_WEBHOOK_SECRET  signs the webhook deliveries (skipped when unset)
//   BASELINE_URL     the bare handlers (baseline.ts): after a share BARE_SHARE (0.25) of each function's calls, the
//                    same input goes to that function's bare twin, so each function has its baseline under the same
//                    load (skipped when unset, as against staging)
//   PEAK_VUS (100), RAMP_UP (2m), HOLD (5m), RAMP_DOWN (2m), THINK_SECONDS (1)
//   SUMMARY_FILE     where handleSummary writes k6's JSON summary (the runner reads it)
import http from "k6/http";
import crypto from "k6/crypto";
import encoding from "k6/encoding";
import exec from "k6/execution";
import { check, sleep } from "k6";
import { Counter, Trend } from "k6/metrics";

const BASE = __ENV.BASE_URL;
const THINK_SECONDS = Number(__ENV.THINK_SECONDS || 1);
const USERS = __ENV.USERS_FILE ? JSON.parse(open(__ENV.USERS_FILE)) : null;

export const FUNCTIONS = [
  "ai-chat-message",
  "create-support-ticket",
  "document-upload",
  "search-engine",
  "family-vault",
  "professional-marketplace",
  "subscription-manager",
];
const BARE_SHARE = Number(__ENV.BARE_SHARE || 0.25);
// Per function: its latency and its failed calls (any status other than the one expected), and its bare twin's.
const latency = {};
const failures = {};
const bareLatency = {};
const bareFailures = {};
for (const name of FUNCTIONS) {
  // k6's metric names take no hyphens: fn_ai_chat_message (the runner turns them back into function names).
  const metric = name.replaceAll("-", "_");
  latency[name] = new Trend(`fn_${metric}`, true);
  failures[name] = new Counter(`fn_errors_${metric}`);
  bareLatency[name] = new Trend(`bare_${metric}`, true);
  bareFailures[name] = new Counter(`bare_errors_${metric}`);
}

export const options = {
  scenarios: {
    users: {
      executor: "ramping-vus",
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP_UP || "2m", target: Number(__ENV.PEAK_VUS || 100) },
        { duration: __ENV.HOLD || "5m", target: Number(__ENV.PEAK_VUS || 100) },
        { duration: __ENV.RAMP_DOWN || "2m", target: 0 },
      ],
      gracefulRampDown: "30s",
    },
  },
  summaryTrendStats: ["avg", "min", "med", "p(95)", "p(99)", "max", "count"],
};

// The weights of one user's next action (in percent): reads dominate, AI and uploads are the slow, costly part.
const MIX = [
  [24, chat],
  [18, search],
  [16, marketplace],
  [14, vault],
  [10, upload],
  [6, ticket],
  [8, webhook],
];
const MIX_TOTAL = MIX.reduce((sum, [weight]) => sum + weight, 0);

export function setup() {
  const users = USERS ?? [{ token: signIn() }];
  return users.map((user) => ({
    ...user,
    conversation_id: user.conversation_id ?? createConversation(user.token),
    vault_id: ensureVault(user.token),
  }));
}

export default function (users) {
  const user = users[(exec.vu.idInTest - 1) % users.length];
  let roll = Math.random() * MIX_TOTAL;
  for (const [weight, action] of MIX) {
    roll -= weight;
    if (roll < 0) {
      action(user);
      break;
    }
  }
  sleep(THINK_SECONDS * (0.5 + Math.random()));
}

function call(name, method, body, token, expected, extraHeaders = {}) {
  const headers = { "content-type": "application/json", ...extraHeaders };
  if (token) headers.authorization = `Bearer ${token}`;
  const url = method === "GET" ? `${BASE}/${name}${body ?? ""}` : `${BASE}/${name}`;
  const payload = method === "GET" ? null : typeof body === "string" ? body : JSON.stringify(body);
  const response = http.request(method, url, payload, { headers, tags: { function: name }, timeout: "60s" });
  latency[name].add(response.timings.duration);
  const ok = check(response, { [`${name} ${expected}`]: (r) => r.status === expected });
  if (!ok) {
    failures[name].add(1);
    if (__ENV.LOG_ERRORS) console.error(`${name} ${response.status}: ${String(response.body).slice(0, 300)}`);
  }
  return response;
}

// The function's bare twin (baseline.ts) with the same input, for a share of the calls, when the runner started
// the bare handlers.
function bare(name, user, body) {
  if (!__ENV.BASELINE_URL || Math.random() >= BARE_SHARE) return;
  const payload = JSON.stringify({ ...body, user_id: user.user_id });
  const response = http.post(`${__ENV.BASELINE_URL}/${name}`, payload, {
    headers: { "content-type": "application/json" },
    tags: { function: `bare-${name}` },
    timeout: "60s",
  });
  bareLatency[name].add(response.timings.duration);
  if (!check(response, { [`bare ${name} 200`]: (r) => r.status === 200 })) {
    bareFailures[name].add(1);
    if (__ENV.LOG_ERRORS) console.error(`bare ${name} ${response.status}: ${String(response.body).slice(0, 300)}`);
  }
}

function chat(user) {
  if (!user.conversation_id) return;
  const body = {
    conversation_id: user.conversation_id,
    content: "What does my home insurance say about water damage?",
    model_provider: "openai",
  };
  call("ai-chat-message", "POST", body, user.token, 200);
  bare("ai-chat-message", user, body);
}

function search(user) {
  const queries = ["insurance water damage", "passport renewal", "tax return 2025", "lease agreement deposit"];
  const body = { query: queries[Math.floor(Math.random() * queries.length)] };
  call("search-engine", "POST", body, user.token, 200);
  bare("search-engine", user, body);
}

function marketplace(user) {
  const professions = ["lawyer", "accountant", "doctor", "financial_advisor"];
  const profession = professions[Math.floor(Math.random() * professions.length)];
  call("professional-marketplace", "GET", `?profession=${profession}&limit=20`, user.token, 200);
  bare("professional-marketplace", user, { profession, limit: 20 });
}

function vault(user) {
  const body = Math.random() < 0.5 || !user.vault_id
    ? { action: "list_vaults" }
    : { action: "list_documents", vault_id: user.vault_id };
  call("family-vault", "POST", body, user.token, 200);
  bare("family-vault", user, body);
}

// A small PNG (the documents bucket takes images and PDFs): register, PUT to the signed URL, confirm.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
function upload(user) {
  const body = {
    file_name: `receipt-${exec.vu.idInTest}-${exec.vu.iterationInScenario}.png`,
    mime_type: "image/png",
    file_size: 68,
  };
  const registered = call("document-upload", "POST", body, user.token, 201);
  bare("document-upload", user, body);
  if (registered.status !== 201) return;
  const { document, upload } = registered.json();
  const put = http.put(upload.signed_url, encoding.b64decode(PNG), {
    headers: { "content-type": "image/png" },
    tags: { function: "storage-upload" },
  });
  if (put.status !== 200) {
    failures["document-upload"].add(1);
    return;
  }
  call("document-upload", "POST", { document_id: document.id }, user.token, 200);
}

function ticket(user) {
  const body = {
    title: "Cannot open a shared document",
    description: "The download link says it expired.",
    priority: "medium",
    category: "incident",
  };
  call("create-support-ticket", "POST", body, user.token, 201);
  bare("create-support-ticket", user, body);
}

// A Stripe delivery of an event type the platform records and ignores: the signature check, the once-only record.
function webhook(user) {
  const secret = __ENV.STRIPE_WEBHOOK_SECRET;
  if (!secret) return;
  const body = JSON.stringify({
    id: `evt_load_${exec.vu.idInTest}_${exec.vu.iterationInScenario}_${Date.now()}`,
    object: "event",
    type: "customer.created",
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: "cus_load", object: "customer" } },
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = crypto.hmac("sha256", secret, `${timestamp}.${body}`, "hex");
  call("subscription-manager", "POST", body, null, 200, { "stripe-signature": `t=${timestamp},v1=${signature}` });
  const event = JSON.parse(body);
  bare("subscription-manager", user, { ...event, id: `${event.id}_bare` });
}

function signIn() {
  const response = http.post(
    `${__ENV.SUPABASE_URL}/auth/v1/token?grant_type=password`,
    JSON.stringify({ email: __ENV.LOAD_EMAIL, password: __ENV.LOAD_PASSWORD }),
    { headers: { "content-type": "application/json", apikey: __ENV.SUPABASE_ANON_KEY } },
  );
  if (response.status !== 200) throw new Error(`signing in ${__ENV.LOAD_EMAIL} failed: ${response.status}`);
  return response.json().access_token;
}

// Staging: a conversation through PostgREST, as the app creates one (row-level security makes it the caller's).
function createConversation(token) {
  if (!__ENV.SUPABASE_URL) return null;
  const response = http.post(`${__ENV.SUPABASE_URL}/rest/v1/conversations`, JSON.stringify({ title: "Load test" }), {
    headers: {
      authorization: `Bearer ${token}`,
      apikey: __ENV.SUPABASE_ANON_KEY,
      "content-type": "application/json",
      prefer: "return=representation",
    },
  });
  if (response.status !== 201) throw new Error(`creating a conversation failed: ${response.status}`);
  return response.json()[0].id;
}

// The user's first vault, created when they have none (so reruns on staging do not pile vaults up).
function ensureVault(token) {
  const headers = { headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
  const listed = http.post(`${BASE}/family-vault`, JSON.stringify({ action: "list_vaults" }), headers);
  const existing = listed.status === 200 ? listed.json().vaults : [];
  if (existing.length > 0) return existing[0].id;
  const created = http.post(`${BASE}/family-vault`, JSON.stringify({ action: "create_vault", name: "Load" }), headers);
  return created.status === 201 ? created.json().vault.id : null;
}

export function handleSummary(data) {
  const out = { stdout: "" };
  if (__ENV.SUMMARY_FILE) out[__ENV.SUMMARY_FILE] = JSON.stringify(data);
  return out;
}
