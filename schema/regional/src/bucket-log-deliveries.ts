import { bigint, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { buckets } from "./buckets.ts";

/**
 * Server access log delivery, per source bucket: the operations_log ids up to
 * `delivered_through` are in log objects of the target bucket. `pending_through` is the end of
 * the batch being written: chosen and committed before its object is written, so a delivery
 * resumed after a crash writes the same entries under the same key again (no duplicate, no gap).
 */
export const bucketLogDeliveries = pgTable("bucket_log_deliveries", {
  bucketId: uuid("bucket_id").primaryKey().references(() => buckets.bucketId, { onDelete: "cascade" }),
  deliveredThrough: bigint("delivered_through", { mode: "number" }).notNull(),
  pendingThrough: bigint("pending_through", { mode: "number" }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
