import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { EncryptionDocument } from "./columns.ts";

/**
 * The part manifest of an object completed from a multipart upload. Such an object keeps its
 * parts' blobs as they were uploaded (CompleteMultipartUpload writes no second copy): its
 * `object_metadata.storage_key` is a composite key (`tenant-<id>/parts/<uuid>`) that no
 * provider ever holds, and its bytes are these parts read in part-number order.
 *
 * The object's `sha256` is then a composite digest, `<hex>-<N>`: the SHA-256 of the parts'
 * binary SHA-256 digests concatenated in order (S3's COMPOSITE checksum), never a digest of
 * the whole byte stream. Each part's own digests are here, so every byte stays verifiable.
 *
 * Rows are written in the transaction that commits the object (or, for a storage migration,
 * before its switch, journalled by its item), and removed before the parts' bytes, so a blob
 * left by a crash is a stray for the sweeper, never a part without bytes.
 */
export const objectParts = pgTable(
  "object_parts",
  {
    /** The composite key the object's metadata points at. */
    manifestKey: text("manifest_key").notNull(),
    partNumber: integer("part_number").notNull(),
    /** Where the part starts in the object, so a range is mapped to parts by the index. */
    offsetBytes: bigint("offset_bytes", { mode: "number" }).notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    /** The part's blob, on the object's storage target. */
    storageKey: text("storage_key").notNull(),
    /** Hex MD5 (the part's ETag) and hex SHA-256 of the part's bytes. */
    etag: text("etag").notNull(),
    sha256: text("sha256").notNull(),
    /** The part blob's encryption (its own data key); null for parts written before encryption at rest. */
    encryption: jsonb("encryption").$type<EncryptionDocument>(),
    /** Owner and target of the bytes, so a manifest whose object is gone can still have its bytes removed. */
    customerId: text("customer_id").notNull(),
    storageProviderId: text("storage_provider_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.manifestKey, t.partNumber] }),
    uniqueIndex("object_parts_storage_key_uq").on(t.storageKey),
    index("object_parts_created_idx").on(t.createdAt),
  ],
);
