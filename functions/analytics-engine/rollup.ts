/**
 * The backend's run: the coming years' analytics_data partitions first (so no row of a new year lands in the
 * default partition), then each day's rollup, one transaction per day, by private.rollup_analytics_day
 * (sql/migrations/20261201300200): a day rolled up again replaces its rows, so reruns and overlapping runs agree.
 */
import type { Database } from "../_shared/db.ts";
import type { RollupRequest } from "./request.ts";

export interface RollupReport {
  partitions_created: number;
  days: { date: string; rows: number }[];
}

export async function rollup(db: Database, request: RollupRequest): Promise<RollupReport> {
  const [created] = await db.asServiceRole((tx) =>
    tx`select private.ensure_analytics_data_partitions(${request.partitions_years_ahead}::integer, null) as n`
  );
  const last = request.date ?? new Date().toISOString().slice(0, 10);
  const days: RollupReport["days"] = [];
  for (let back = request.days - 1; back >= 0; back--) {
    const date = shiftDays(last, -back);
    const [row] = await db.asServiceRole((tx) => tx`select private.rollup_analytics_day(${date}::date) as n`);
    days.push({ date, rows: row.n });
  }
  return { partitions_created: created.n, days };
}

export function shiftDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
