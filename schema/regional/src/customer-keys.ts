import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers.ts";

export const CUSTOMER_KEY_STATES = ["Enabled", "Disabled", "PendingDeletion", "Destroyed"] as const;
export type CustomerKeyState = (typeof CUSTOMER_KEY_STATES)[number];

/**
 * A customer's key-encryption keys (KEKs, AWS KMS's "customer managed keys"). The key itself is
 * in customer_key_versions: one row per rotation. Exactly one key per customer is its default
 * (SSE-S3, SSE-C and SSE-KMS without a key id), created on first use.
 */
export const customerKeys = pgTable(
  "customer_keys",
  {
    keyId: text("key_id").primaryKey(),
    customerId: text("customer_id").notNull().references(() => customers.customerId),
    description: text("description"),
    isDefault: boolean("is_default").notNull().default(false),
    state: text("state").$type<CustomerKeyState>().notNull().default("Enabled"),
    /** New data keys are wrapped by this version; older versions keep unwrapping what they wrapped. */
    currentVersion: integer("current_version").notNull().default(1),
    /** PendingDeletion: when the key becomes Destroyed. */
    deletionDate: timestamp("deletion_date", { withTimezone: true }),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("customer_keys_one_default_uq").on(t.customerId).where(sql`${t.isDefault}`),
    index("customer_keys_customer_created_idx").on(t.customerId, t.createdAt, t.keyId),
  ],
);

/**
 * One version of a KEK: 32 random bytes sealed by the region's master key ring (the seal binds
 * customer, key id and version). Destroying a version nulls its material for good.
 */
export const customerKeyVersions = pgTable(
  "customer_key_versions",
  {
    keyId: text("key_id").notNull().references(() => customerKeys.keyId),
    /** Redundant with the key's row; it lets the cache notification name the customer. */
    customerId: text("customer_id").notNull(),
    version: integer("version").notNull(),
    material: text("material"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    destroyedAt: timestamp("destroyed_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.version] })],
);

export const CRYPTO_SHRED_STATUSES = ["pending", "executed", "cancelled", "refused"] as const;
export type CryptoShredStatus = (typeof CRYPTO_SHRED_STATUSES)[number];

/** Requests to destroy every key of a customer after a delay (crypto-shredding); at most one pending per customer. */
export const cryptoShredRequests = pgTable(
  "crypto_shred_requests",
  {
    requestId: uuid("request_id").primaryKey().defaultRandom(),
    customerId: text("customer_id").notNull().references(() => customers.customerId),
    reason: text("reason").notNull(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
    executeAfter: timestamp("execute_after", { withTimezone: true }).notNull(),
    status: text("status").$type<CryptoShredStatus>().notNull().default("pending"),
    executedAt: timestamp("executed_at", { withTimezone: true }),
    cancelledBy: text("cancelled_by"),
    /** What the execution did (keys destroyed, checkpoint id) or why it was refused. */
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    uniqueIndex("crypto_shred_one_pending_uq").on(t.customerId).where(sql`${t.status} = 'pending'`),
    index("crypto_shred_customer_requested_idx").on(t.customerId, t.requestedAt),
  ],
);
