import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { customerRouting } from "./customer-routing.ts";

/** Which customer an S3 access key id belongs to, so signed requests can be routed. Never the secret. */
export const accessKeyRouting = pgTable("access_key_routing", {
  accessKeyId: text("access_key_id").primaryKey(),
  customerId: text("customer_id").notNull().references(() => customerRouting.customerId),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
