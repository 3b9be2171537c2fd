import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Commands the region consumed (from `s3gw.<region>.commands`), by the command's own id: a
 * redelivered or duplicated command finds its row and is acknowledged without running again.
 * The row is written in the transaction that carries out the command.
 */
export const processedEvents = pgTable("processed_events", {
  eventId: text("event_id").primaryKey(),
  command: text("command").notNull(),
  outcome: text("outcome").$type<"done" | "refused" | "dead_lettered">().notNull(),
  detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
  processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
});
