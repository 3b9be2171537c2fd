import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { customerRouting } from "./customer-routing.ts";

/**
 * Bucket names a customer's compliance rule opens to anonymous reads, so an unauthenticated
 * GET/HEAD can be routed. Bucket names are unique only per customer; a public name is unique
 * among public names (the primary key), so it names one customer.
 */
export const publicBucketRouting = pgTable("public_bucket_routing", {
  bucketName: text("bucket_name").primaryKey(),
  customerId: text("customer_id").notNull().references(() => customerRouting.customerId),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
