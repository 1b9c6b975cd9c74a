/**
 * analytics-engine's two requests. The backend (service-role key) rolls up: `{"action": "rollup", "date"?, "days"?,
 * "partitions_years_ahead"?}`; a signed-in user asks for their insights: `{"action": "insights", "days"?,
 * "expiring_within_days"?}`. An empty body means the caller's one action (the schedule sends none).
 */
import { z } from "../_shared/validation.ts";

const whole = (min: number, max: number) =>
  z.number({ invalid_type_error: "must be a number" }).int("must be a whole number")
    .min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

export const RollupRequest = z.object({
  action: z.literal("rollup"),
  /** The last day to roll up (default today, UTC); `days` counts back from it. */
  date: z.string({ invalid_type_error: "must be a string" })
    .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date, YYYY-MM-DD")
    .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), "must be a real date")
    .refine((value) => value <= new Date().toISOString().slice(0, 10), "must not be in the future")
    .optional(),
  days: whole(1, 31).default(2),
  partitions_years_ahead: whole(1, 5).default(1),
}).strict();

export const InsightsRequest = z.object({
  action: z.literal("insights"),
  days: whole(1, 366).default(90),
  expiring_within_days: whole(1, 366).default(30),
}).strict();

export type RollupRequest = z.infer<typeof RollupRequest>;
export type InsightsRequest = z.infer<typeof InsightsRequest>;
