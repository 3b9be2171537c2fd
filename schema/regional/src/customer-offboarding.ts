import { boolean, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { customers } from "./customers.ts";

export const OFFBOARDING_STEPS = ["freeze", "export", "erase", "shred", "unroute", "tombstone", "done"] as const;
export type OffboardingStep = (typeof OFFBOARDING_STEPS)[number];

/**
 * A customer's offboarding job (one per customer): the step it has reached and what each step
 * did. Resumable: a run starts again at `step`. The customer row stays as the tombstone.
 */
export const customerOffboarding = pgTable("customer_offboarding", {
  customerId: text("customer_id").primaryKey().references(() => customers.customerId),
  status: text("status").$type<"running" | "failed" | "completed">().notNull().default("running"),
  step: text("step").$type<OffboardingStep>().notNull().default("freeze"),
  reason: text("reason").notNull(),
  exportRequested: boolean("export_requested").notNull(),
  requestedBy: text("requested_by").notNull(),
  /** Per step: what it did (export manifest, erased/kept versions, shred request, unroute answer). */
  result: jsonb("result").$type<Record<string, unknown>>().notNull().default({}),
  lastError: text("last_error"),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  completedAt: timestamp("completed_at", { withTimezone: true }),
});
