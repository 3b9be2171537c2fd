import { bigint, bigserial, boolean, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Signed heads of the operations log. `payload` is the exact byte string that was signed
 * (Ed25519, key from the region's configuration, never stored here), so a checkpoint can be
 * verified without trusting any other column; the rest are its fields for querying. Each is
 * also written once to the region's own storage under a reserved prefix (`worm_storage_key`),
 * where nothing ever deletes it: deleting rows here does not make a checkpoint disappear.
 */
export const auditCheckpoints = pgTable(
  "audit_checkpoints",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    region: text("region").notNull(),
    /** The newest operations_log row covered, its row_hash, and how many rows have id <= last_id. */
    lastId: bigint("last_id", { mode: "number" }).notNull(),
    lastHash: text("last_hash").notNull(),
    rowCount: bigint("row_count", { mode: "number" }).notNull(),
    /** The signed canonical JSON {created_at, last_hash, last_id, region, row_count}. */
    payload: text("payload").notNull(),
    /** Ed25519 signature of payload's UTF-8 bytes, base64. */
    signature: text("signature").notNull(),
    /** SHA-256 (hex) of the signing public key's DER SubjectPublicKeyInfo. */
    keyFingerprint: text("key_fingerprint").notNull(),
    wormStorageKey: text("worm_storage_key").notNull(),
    /** COMPLIANCE-style retention: until retain_until nothing may delete the WORM copy. */
    retentionMode: text("retention_mode").$type<"COMPLIANCE">().notNull(),
    retainUntil: timestamp("retain_until", { withTimezone: true }).notNull(),
    /** True when the storage provider itself enforces the lock; false means the gateway does (it never deletes). */
    providerLocked: boolean("provider_locked").notNull(),
    trigger: text("trigger").$type<"periodic" | "on_demand">().notNull(),
    principal: text("principal"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("audit_checkpoints_last_id_idx").on(t.lastId)],
);
