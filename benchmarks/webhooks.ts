/**
 * The cost of one Stripe webhook delivery in subscription-manager, run by benchmarks/webhooks.py (which gives it a
 * migrated database in TEST_DATABASE_URL). In one process, sequentially, N deliveries of each kind:
 *
 * - `verify only` (the baseline): the SDK's signature check on the raw body, nothing else;
 * - `new event`: a signed invoice.payment_succeeded through the handler: verified, recorded once, subscription and
 *   payment written in one transaction;
 * - `replay`: the same deliveries again, answered `duplicate` (verified, one insert that finds the row);
 * - `out of order`: an older event of a canceled subscription (newest-wins check under a row lock).
 *
 * Prints per-delivery mean and p95 in ms and each as a ratio to the baseline.
 */
import Stripe from "npm:stripe@23.1.0";
import { createHandler } from "../functions/subscription-manager/handler.ts";
import { startWorld } from "../tests/functions/support/world.ts";

const N = Number(Deno.args[0] ?? "300");
const SECRET = "whsec_benchmark_0123456789abcdef";
const crypto = Stripe.createSubtleCryptoProvider();

function invoiceEvent(userId: string, subscription: string, created: number) {
  return JSON.stringify({
    id: `evt_${globalThis.crypto.randomUUID().replaceAll("-", "")}`,
    object: "event",
    created,
    type: "invoice.payment_succeeded",
    data: {
      object: {
        id: `in_${globalThis.crypto.randomUUID().replaceAll("-", "")}`,
        object: "invoice",
        amount_paid: 999,
        currency: "usd",
        parent: { subscription_details: { subscription, metadata: { user_id: userId, tier: "premium" } } },
        lines: { data: [{ period: { start: created, end: created + 2592000 } }] },
      },
    },
  });
}

async function signed(payload: string) {
  return {
    payload,
    header: await Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: SECRET, cryptoProvider: crypto }),
  };
}

async function time(work: () => Promise<void>, samples: number[]): Promise<void> {
  const started = performance.now();
  await work();
  samples.push(performance.now() - started);
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { mean, p95: sorted[Math.floor(0.95 * (sorted.length - 1))] };
}

if (import.meta.main) {
  const world = await startWorld({ STRIPE_WEBHOOK_SECRET: SECRET });
  const handler = createHandler(world.env);
  const now = Math.floor(Date.now() / 1000);
  const users = await Promise.all(Array.from({ length: 20 }, () => world.createUser()));
  const deliveries = await Promise.all(
    Array.from({ length: N }, (_, i) => signed(invoiceEvent(users[i % 20].id, `sub_bench_${i % 20}`, now - N + i))),
  );
  const post = (d: { payload: string; header: string }) =>
    handler.fetch(
      new Request("http://localhost/functions/v1/subscription-manager", {
        method: "POST",
        headers: { "stripe-signature": d.header },
        body: d.payload,
      }),
    ).then((r) => r.body?.cancel());

  const results: Record<string, number[]> = { "verify only": [], "new event": [], replay: [], "out of order": [] };
  for (const d of deliveries.slice(0, 20)) await post(d); // warm-up: connections, JIT (counted as new events once)
  for (const d of deliveries) {
    await time(
      () => Stripe.webhooks.constructEventAsync(d.payload, d.header, SECRET, 300, crypto).then(() => {}),
      results["verify only"],
    );
  }
  for (const d of deliveries.slice(20)) await time(() => post(d), results["new event"]);
  for (const d of deliveries.slice(20)) await time(() => post(d), results.replay);
  await world
    .sql`update public.subscriptions set status = 'canceled' where provider_subscription_id like 'sub_bench_%'`;
  const older = await Promise.all(
    Array.from(
      { length: N - 20 },
      (_, i) => signed(invoiceEvent(users[i % 20].id, `sub_bench_${i % 20}`, now - 10 * N)),
    ),
  );
  for (const d of older) await time(() => post(d), results["out of order"]);

  const baseline = summary(results["verify only"]).mean;
  console.log(`subscription-manager, Stripe deliveries, sequential, ${N - 20} each (warm):`);
  for (const [label, samples] of Object.entries(results)) {
    const { mean, p95 } = summary(samples);
    console.log(
      `  ${label.padEnd(13)} mean ${mean.toFixed(3).padStart(8)} ms  p95 ${p95.toFixed(3).padStart(8)} ms  ` +
        `x${(mean / baseline).toFixed(1)} of verify only`,
    );
  }
  await handler.close();
  await world.close();
}
