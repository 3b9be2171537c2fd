import { pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { binaryText } from "./columns.ts";
import { customers } from "./customers.ts";

/** Bucket names are scoped per customer: two customers may both own `documents`. */
export const buckets = pgTable(
  "buckets",
  {
    bucketId: uuid("bucket_id").primaryKey().defaultRandom(),
    customerId: text("customer_id").notNull().references(() => customers.customerId),
    bucketName: binaryText("bucket_name").notNull(),
    regionId: text("region_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("buckets_customer_name_uq").on(t.customerId, t.bucketName)],
);
