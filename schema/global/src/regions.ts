import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const regions = pgTable("regions", {
  regionId: text("region_id").primaryKey(),
  name: text("name").notNull(),
  country: text("country").notNull(),
  legalZone: text("legal_zone").notNull(),
  gatewayEndpoint: text("gateway_endpoint").notNull(),
  jurisdictionInfo: jsonb("jurisdiction_info").$type<Record<string, unknown>>().notNull().default({}),
  status: text("status").notNull().default("active"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
