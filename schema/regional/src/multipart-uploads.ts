import { bigint, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { binaryText, type EncryptionDocument } from "./columns.ts";
import { buckets } from "./buckets.ts";
import { customers } from "./customers.ts";

/** An upload in progress. Its storage target is resolved (and residency checked) at create. */
export const multipartUploads = pgTable("multipart_uploads", {
  uploadId: text("upload_id").primaryKey(),
  customerId: text("customer_id").notNull().references(() => customers.customerId),
  bucketId: uuid("bucket_id").notNull().references(() => buckets.bucketId, { onDelete: "restrict" }),
  bucketName: binaryText("bucket_name").notNull(),
  objectKey: binaryText("object_key").notNull(),
  storageProviderId: text("storage_provider_id").notNull(),
  storageCountry: text("storage_country").notNull(),
  contentType: text("content_type").notNull(),
  userMetadata: jsonb("user_metadata").$type<Record<string, string>>().notNull().default({}),
  systemMetadata: jsonb("system_metadata").$type<Record<string, string>>().notNull().default({}),
  tags: jsonb("tags").$type<Record<string, string>>().notNull().default({}),
  /** The x-amz-checksum-algorithm given at create (CRC32, CRC32C, SHA1, SHA256): every part then has one, and the object a COMPOSITE one. */
  checksumAlgorithm: text("checksum_algorithm"),
  /** COMPOSITE (a checksum of the parts' checksums, `-N`) or FULL_OBJECT (the CRC of the whole, combined from the parts'). */
  checksumType: text("checksum_type").$type<"COMPOSITE" | "FULL_OBJECT">(),
  /** The SSE selection made at create; every part is encrypted under it. */
  encryption: jsonb("encryption").$type<EncryptionDocument>(),
  initiatedAt: timestamp("initiated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const multipartParts = pgTable(
  "multipart_parts",
  {
    uploadId: text("upload_id").notNull().references(() => multipartUploads.uploadId, { onDelete: "cascade" }),
    partNumber: integer("part_number").notNull(),
    storageKey: text("storage_key").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    etag: text("etag").notNull(),
    sha256: text("sha256").notNull(),
    /** Base64 of the part's checksum in its upload's checksum algorithm; null when the upload has none. */
    checksum: text("checksum"),
    /** The part blob's encryption (its own data key). */
    encryption: jsonb("encryption").$type<EncryptionDocument>(),
    uploadedAt: timestamp("uploaded_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] })],
);
