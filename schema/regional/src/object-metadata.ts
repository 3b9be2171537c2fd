import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { binaryText, type EncryptionDocument } from "./columns.ts";
import { buckets } from "./buckets.ts";
import { customers } from "./customers.ts";

/**
 * One row per object version (each with bytes of its own). `storage_key` is the backend key
 * (`tenant-<id>/…/<uuid>`), never derived from the user's key; the user's bucket and key live
 * only here. A key's versions and delete markers (`object_delete_markers`) share one ordering,
 * `version_stamp` (newest highest), and at most one of them is the key's latest.
 */
export const objectMetadata = pgTable(
  "object_metadata",
  {
    objectId: uuid("object_id").primaryKey().defaultRandom(),
    customerId: text("customer_id").notNull().references(() => customers.customerId),
    bucketId: uuid("bucket_id").notNull().references(() => buckets.bucketId, { onDelete: "restrict" }),
    bucketName: binaryText("bucket_name").notNull(),
    objectKey: binaryText("object_key").notNull(),
    /** S3's version id: `null` for objects written while versioning was never enabled or was suspended. */
    versionId: text("version_id").notNull().default("null"),
    /** Orders a key's versions and delete markers, strictly increasing per key (µs, bumped past the previous). */
    versionStamp: bigint("version_stamp", { mode: "number" }).notNull().default(0),
    /** The version a GET without versionId serves; false for every version while a delete marker is latest. */
    isLatest: boolean("is_latest").notNull().default(true),
    regionId: text("region_id").notNull(),
    storageProviderId: text("storage_provider_id").notNull(),
    storageCountry: text("storage_country").notNull(),
    storageKey: text("storage_key").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    etag: text("etag").notNull(),
    /**
     * Hex SHA-256 of the object's bytes. For an object completed from a multipart upload (its
     * storage key composite, its parts in object_parts) it is the composite `<hex>-<N>`: the
     * SHA-256 of the parts' binary SHA-256s in order, as S3 renders a COMPOSITE checksum; see
     * object-parts.ts. Never compared with a digest of the whole stream.
     */
    sha256: text("sha256").notNull(),
    contentType: text("content_type").notNull(),
    userMetadata: jsonb("user_metadata").$type<Record<string, string>>().notNull().default({}),
    systemMetadata: jsonb("system_metadata").$type<Record<string, string>>().notNull().default({}),
    /** S3 object tags (PUT/GET/DELETE ?tagging; x-amz-tagging on PUT). */
    tags: jsonb("tags").$type<Record<string, string>>().notNull().default({}),
    /** Multipart objects: the number of parts, for the `-N` ETag suffix. */
    partsCount: integer("parts_count"),
    complianceStatus: text("compliance_status").notNull().default("compliant"),
    legalHold: boolean("legal_hold").notNull().default(false),
    legalHoldReason: text("legal_hold_reason"),
    legalHoldSetBy: text("legal_hold_set_by"),
    legalHoldSetAt: timestamp("legal_hold_set_at", { withTimezone: true }),
    retentionMode: text("retention_mode").$type<"GOVERNANCE" | "COMPLIANCE">(),
    /** GDPR Art. 18: ordinary reads are refused while set. */
    processingRestricted: boolean("processing_restricted").notNull().default(false),
    /** Links the object to a data subject (from `x-amz-meta-data-subject-id`) for GDPR requests. */
    dataSubjectId: text("data_subject_id"),
    lastVerifiedAt: timestamp("last_verified_at", { withTimezone: true }),
    dataClassification: text("data_classification").notNull().default("internal"),
    retentionUntil: timestamp("retention_until", { withTimezone: true }),
    /** Null only for objects written before encryption at rest (plaintext). */
    encryption: jsonb("encryption").$type<EncryptionDocument>(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastModified: timestamp("last_modified", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("object_metadata_bucket_key_version_uq").on(t.bucketId, t.objectKey, t.versionId),
    uniqueIndex("object_metadata_bucket_key_latest_uq").on(t.bucketId, t.objectKey).where(sql`${t.isLatest}`),
    uniqueIndex("object_metadata_storage_key_uq").on(t.storageKey),
    index("object_metadata_customer_subject_idx").on(t.customerId, t.dataSubjectId),
  ],
);

/**
 * S3 delete markers: a key's version without bytes, written by a DELETE without versionId on a
 * versioned (or suspended: version id `null`) bucket. While one is latest, the key reads as absent.
 */
export const objectDeleteMarkers = pgTable(
  "object_delete_markers",
  {
    markerId: uuid("marker_id").primaryKey().defaultRandom(),
    customerId: text("customer_id").notNull().references(() => customers.customerId),
    bucketId: uuid("bucket_id").notNull().references(() => buckets.bucketId, { onDelete: "restrict" }),
    bucketName: binaryText("bucket_name").notNull(),
    objectKey: binaryText("object_key").notNull(),
    versionId: text("version_id").notNull(),
    versionStamp: bigint("version_stamp", { mode: "number" }).notNull(),
    isLatest: boolean("is_latest").notNull(),
    lastModified: timestamp("last_modified", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("object_delete_markers_bucket_key_version_uq").on(t.bucketId, t.objectKey, t.versionId),
    uniqueIndex("object_delete_markers_bucket_key_latest_uq").on(t.bucketId, t.objectKey).where(sql`${t.isLatest}`),
  ],
);
