import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { binaryText } from "./columns.ts";
import { buckets } from "./buckets.ts";

/**
 * Multipart uploads recently completed, so a CompleteMultipartUpload retried with the same
 * part list (its answer lost on the way) is answered again instead of NoSuchUpload, as S3
 * does. Written in the transaction that completes the upload; swept with stale uploads.
 */
export const completedUploads = pgTable(
  "completed_uploads",
  {
    uploadId: text("upload_id").primaryKey(),
    bucketId: uuid("bucket_id").notNull().references(() => buckets.bucketId, { onDelete: "cascade" }),
    objectKey: binaryText("object_key").notNull(),
    /** SHA-256 of the part list as completed (numbers and ETags in order): only the same list is answered again. */
    partsDigest: text("parts_digest").notNull(),
    /** The completed object version's storage key (its manifest key): answered only while that version exists. */
    storageKey: text("storage_key").notNull(),
    completedAt: timestamp("completed_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("completed_uploads_completed_idx").on(t.completedAt)],
);
