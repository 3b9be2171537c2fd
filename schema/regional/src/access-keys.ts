import { boolean, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { customers } from "./customers.ts";

/**
 * S3 credentials. The secret is stored only as AES-256-GCM ciphertext under the region's
 * master key (`secret_key_id` names which one, so keys can be rotated); it is shown once.
 */
export const accessKeys = pgTable("access_keys", {
  accessKeyId: text("access_key_id").primaryKey(),
  customerId: text("customer_id").notNull().references(() => customers.customerId),
  description: text("description"),
  secretCiphertext: text("secret_ciphertext").notNull(),
  secretKeyId: text("secret_key_id").notNull(),
  permission: text("permission").$type<"read-only" | "read-write">().notNull().default("read-write"),
  /** When set, the key works only on these buckets. */
  allowedBuckets: jsonb("allowed_buckets").$type<string[] | null>(),
  /** Admin-granted, like AWS's s3:BypassGovernanceRetention: may shorten or bypass GOVERNANCE retention. */
  bypassGovernance: boolean("bypass_governance").notNull().default(false),
  status: text("status").$type<"active" | "disabled">().notNull().default("active"),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
