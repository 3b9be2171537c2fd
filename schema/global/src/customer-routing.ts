import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { regions } from "./regions.ts";

/** The only thing the global layer knows about a customer: its home region. */
export const customerRouting = pgTable("customer_routing", {
  customerId: text("customer_id").primaryKey(),
  primaryRegionId: text("primary_region_id").notNull().references(() => regions.regionId),
  routingNotes: text("routing_notes"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
