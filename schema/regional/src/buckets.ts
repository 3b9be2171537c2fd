import { boolean, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
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
    /** S3 versioning: null while never enabled; once enabled only ever Enabled or Suspended. */
    versioning: text("versioning").$type<"Enabled" | "Suspended">(),
    /** Set at CreateBucket (`x-amz-bucket-object-lock-enabled`) only; such a bucket stays versioned. */
    objectLockEnabled: boolean("object_lock_enabled").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("buckets_customer_name_uq").on(t.customerId, t.bucketName)],
);
