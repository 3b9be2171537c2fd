import { bigserial, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** One row per routed request: who went where and how it ended. No keys, names or bodies. */
export const routingLog = pgTable(
  "routing_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    customerId: text("customer_id").notNull(),
    regionId: text("region_id").notNull(),
    method: text("method").notNull(),
    statusCode: integer("status_code").notNull(),
    durationMs: integer("duration_ms").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("routing_log_customer_time_idx").on(t.customerId, t.createdAt)],
);
