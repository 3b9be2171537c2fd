import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Leases that make a worker one per region however many gateway instances share the database
 * (the event dispatcher, the command consumer): the holder renews before `expires_at`; another
 * instance takes over only after it passed.
 */
export const workerLeases = pgTable("worker_leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  acquiredAt: timestamp("acquired_at", { withTimezone: true }).notNull().defaultNow(),
});
