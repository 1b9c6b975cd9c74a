/**
 * The document pipeline's figures, run by benchmarks/documents.py against a migrated database, with the tests'
 * loopback stand-ins (Storage, Vision, the AI providers, the embeddings APIs), which answer at once: the figures
 * are the functions' and the database's own cost, not Google's or OpenAI's.
 *
 * 1. Worker throughput: DOCS documents queued, then processed by 1, 2 and 4 document-processor runs at once
 *    (separate handlers, separate pools, as separate isolates would be); documents per minute, and a check that
 *    no document was processed twice (Vision calls, attempts, results).
 * 2. Search latency over CHUNKS chunks of one user's documents (vectors: the chunk's words plus seeded noise): search-engine requests end to end (rate limit,
 *    query embedding, the hybrid search as the caller) and, as the baseline in the same process, the SQL function
 *    alone; p50/p95.
 * Prints one line: DOCUMENTS_BENCH_RESULT {...}.
 */
import { createHandler as createProcessor } from "../functions/document-processor/handler.ts";
import { createHandler as createSearch } from "../functions/search-engine/handler.ts";
import { bagOfWords } from "../tests/functions/support/fake_embeddings.ts";
import { startDocumentsWorld } from "../tests/functions/support/documents_world.ts";
import { request } from "../tests/functions/support/world.ts";
import { latencyRange, type SlowProxy, startSlowProxy } from "./slow_proxy.ts";

const DOCS = Number(Deno.env.get("BENCH_DOCS") ?? "120");
const CHUNKS = Number(Deno.env.get("BENCH_CHUNKS") ?? "10000");
const SEARCHES = Number(Deno.env.get("BENCH_SEARCHES") ?? "200");
const WORDS = [
  "passport",
  "insurance",
  "lease",
  "invoice",
  "warranty",
  "receipt",
  "tax",
  "deed",
  "will",
  "policy",
  "renewal",
  "payment",
  "contract",
  "bank",
  "statement",
  "medical",
  "school",
  "car",
  "house",
  "travel",
];

function sentence(seed: number, length = 40): string {
  const words: string[] = [];
  let x = seed * 2654435761 % 4294967296;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    words.push(WORDS[x % WORDS.length] + (x % 7 === 0 ? String(x % 100) : ""));
  }
  return words.join(" ");
}

// A chunk's vector: its words (as the stand-in embeds the query) plus a little seeded noise, so chunks with the
// same few words are not identical points; an index over thousands of identical vectors is not what real
// embeddings give, and would make the search look slower than it is.
function chunkVector(content: string, seed: number): string {
  const base = bagOfWords(content);
  let x = (seed * 2654435761) % 4294967296;
  const noisy = base.map((value) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return value + (x / 2147483648 - 0.5) * 0.02;
  });
  const norm = Math.hypot(...noisy);
  return `[${noisy.map((v) => v / norm).join(",")}]`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

// Quiet: the functions log a JSON line per request.
console.log = () => {};
const print = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));

await using docs = await startDocumentsWorld({ PROCESSOR_TIME_BUDGET_MS: "600000" });
docs.ai.openai.reply = "A short summary.";

// BENCH_VISION_LATENCY_MS / BENCH_EMBEDDING_LATENCY_MS / BENCH_AI_LATENCY_MS: the stand-ins take that long (behind
// a delaying proxy), so the worker rounds show whether more workers mean more throughput when providers are slow.
const proxies: SlowProxy[] = [];
const slow = (variable: string, setting: string, timeoutVariable?: string) => {
  const range = latencyRange(setting, Deno.env.get(setting));
  if (!range) return;
  const proxy = startSlowProxy(docs.env[variable]!, range);
  proxies.push(proxy);
  // Keep the path the stand-in's base URL has (OpenAI's ends in /v1).
  docs.env[variable] = proxy.url + new URL(docs.env[variable]!).pathname.replace(/\/+$/, "");
  if (timeoutVariable) docs.env[timeoutVariable] = String(range.max + 5000);
};
slow("GOOGLE_VISION_BASE_URL", "BENCH_VISION_LATENCY_MS", "GOOGLE_VISION_TIMEOUT_MS");
slow("OPENAI_EMBEDDINGS_BASE_URL", "BENCH_EMBEDDING_LATENCY_MS", "EMBEDDING_TIMEOUT_MS");
slow("OPENAI_BASE_URL", "BENCH_AI_LATENCY_MS", "AI_PROVIDER_TIMEOUT_MS");
const result: Record<string, unknown> = { docs: DOCS, chunks: CHUNKS, searches: SEARCHES, workers: {} };

// ---------------------------------------------------------------- worker throughput
for (const workers of [1, 2, 4]) {
  const user = await docs.createUser({ tier: "business" });
  // Other documents' jobs (earlier rounds) must not be claimed: each round has only its own.
  await docs.sql`update processing_queue set status = 'completed' where status = 'queued'`;
  const ids: string[] = [];
  for (let i = 0; i < DOCS; i++) {
    const path = `${user.id}/${crypto.randomUUID()}/doc${i}.png`;
    const text = `${sentence(i + workers * 100000, 300)}`;
    const put = await docs.storage.put("documents", path, new TextEncoder().encode(text), "image/png");
    await put.body?.cancel();
    const [doc] = await docs.sql`
      insert into documents (user_id, title, file_name, file_path, mime_type, file_size, status)
      values (${user.id}, ${"doc " + i}, ${"doc" + i + ".png"}, ${path}, 'image/png', ${text.length}, 'queued')
      returning id`;
    ids.push(doc.id);
  }
  await docs.sql`insert into processing_queue (document_id) select unnest(${ids}::uuid[])`;
  const visionBefore = docs.google.visionCalls.length;
  const handlers = Array.from({ length: workers }, () => createProcessor(docs.env));
  const started = performance.now();
  const runs = await Promise.all(handlers.map(async (handler) => {
    const processed: string[] = [];
    for (;;) {
      const response = await handler.fetch(
        request("document-processor", { token: docs.serviceKey, body: { max_jobs: 50 } }),
      );
      const body = await response.json();
      processed.push(...body.results.map((r: { document_id: string }) => r.document_id));
      if (body.claimed === 0) return processed;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(handlers.map((h) => h.close()));
  const all = runs.flat();
  const [{ twice, done }] = await docs.sql`
    select count(*) filter (where q.attempts <> 1)::int as twice,
           count(*) filter (where d.status = 'completed')::int as done
    from processing_queue q join documents d on d.id = q.document_id where d.user_id = ${user.id}`;
  (result.workers as Record<string, unknown>)[workers] = {
    seconds: Number(seconds.toFixed(2)),
    per_minute: Math.round((DOCS / seconds) * 60),
    completed: done,
    processed_results: all.length,
    distinct_documents: new Set(all).size,
    vision_calls: docs.google.visionCalls.length - visionBefore,
    jobs_with_more_than_one_attempt: twice,
    per_worker: runs.map((r) => r.length),
  };
}

// ---------------------------------------------------------------- search latency over many chunks
const searcher = await docs.createUser({ tier: "business" });
const perDocument = 20;
const documents = Math.ceil(CHUNKS / perDocument);
const docIds: string[] = [];
for (let i = 0; i < documents; i++) {
  const [doc] = await docs.sql`
    insert into documents (user_id, title, file_name, file_path, mime_type, file_size, status, extracted_text)
    values (${searcher.id}, ${sentence(i, 4)}, 'f.pdf', ${`${searcher.id}/bench/${i}.pdf`}, 'application/pdf', 1,
            'completed', ${sentence(i, 200)}) returning id`;
  docIds.push(doc.id);
}
for (let start = 0; start < CHUNKS; start += 500) {
  const rows = Array.from({ length: Math.min(500, CHUNKS - start) }, (_, k) => {
    const n = start + k;
    const content = sentence(n + 7, 60);
    return {
      document_id: docIds[Math.floor(n / perDocument)],
      chunk_index: n % perDocument,
      content,
      embedding: chunkVector(content, n),
      model: "text-embedding-3-small",
    };
  });
  await docs.sql`insert into document_embeddings ${docs.sql(rows)}`;
}
await docs.sql`analyze document_embeddings`;
await docs.sql`analyze documents`;
const search = createSearch(docs.env);
const endToEnd: number[] = [];
const sqlOnly: number[] = [];
const queries = Array.from({ length: SEARCHES }, (_, i) => sentence(i + 999, 3));
for (const [i, query] of queries.entries()) {
  const started = performance.now();
  const response = await search.fetch(request("search-engine", { token: searcher.token, body: { query } }));
  await response.json();
  if (response.status !== 200) throw new Error(`search answered ${response.status}`);
  endToEnd.push(performance.now() - started);
  const vector = `[${bagOfWords(query).join(",")}]`;
  const sqlStarted = performance.now();
  await docs.sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${
      JSON.stringify({ sub: searcher.id, role: "authenticated" })
    }, true)`;
    await tx`select * from search_documents_page(${query}, ${vector}::extensions.vector, 'text-embedding-3-small', 11)`;
  });
  sqlOnly.push(performance.now() - sqlStarted);
  if (i % 100 === 99) await docs.sql`delete from usage_metrics where user_id = ${searcher.id}`;
}
await search.close();
result.search = {
  end_to_end_ms: {
    p50: Number(percentile(endToEnd, 0.5).toFixed(1)),
    p95: Number(percentile(endToEnd, 0.95).toFixed(1)),
  },
  sql_only_ms: { p50: Number(percentile(sqlOnly, 0.5).toFixed(1)), p95: Number(percentile(sqlOnly, 0.95).toFixed(1)) },
};
result.latency = Object.fromEntries(
  ["BENCH_VISION_LATENCY_MS", "BENCH_EMBEDDING_LATENCY_MS", "BENCH_AI_LATENCY_MS"].map((n) => [n, Deno.env.get(n)]),
);
await Promise.all(proxies.map((proxy) => proxy.close()));
print(`DOCUMENTS_BENCH_RESULT ${JSON.stringify(result)}`);
