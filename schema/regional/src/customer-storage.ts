import { boolean, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { customers } from "./customers.ts";
import { storageTargets } from "./storage-targets.ts";

/** A customer's own bucket configuration: which target new writes go to, and its health. */
export const customerStorage = pgTable("customer_storage", {
  customerId: text("customer_id").primaryKey().references(() => customers.customerId),
  targetId: text("target_id").notNull().references(() => storageTargets.targetId),
  enabled: boolean("enabled").notNull().default(false),
  allowHostedFallback: boolean("allow_hosted_fallback").notNull().default(false),
  status: text("status").$type<"unvalidated" | "healthy" | "unhealthy">().notNull().default("unvalidated"),
  lastErrorClass: text("last_error_class"),
  lastError: text("last_error"),
  lastCheckedAt: timestamp("last_checked_at", { withTimezone: true }),
  lastSuccessAt: timestamp("last_success_at", { withTimezone: true }),
  /** Set when an admin activated it without a passing probe. */
  activationOverrideBy: text("activation_override_by"),
  /** Set when an admin kept new credentials although their probe failed. */
  credentialsOverrideBy: text("credentials_override_by"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
