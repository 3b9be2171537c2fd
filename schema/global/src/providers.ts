import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { regions } from "./regions.ts";

/** Where bytes can live. No customer data: a provider is infrastructure. */
export const providers = pgTable("providers", {
  providerId: text("provider_id").primaryKey(),
  providerType: text("provider_type").$type<"fs" | "s3">().notNull(),
  regionId: text("region_id").notNull().references(() => regions.regionId),
  country: text("country").notNull(),
  legalZone: text("legal_zone").notNull(),
  endpoint: text("endpoint"),
  status: text("status").notNull().default("active"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
