import { jsonb, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { buckets } from "./buckets.ts";

export interface LifecycleRule {
  id: string;
  enabled: boolean;
  prefix: string;
  tags: Record<string, string>;
  expirationDays: number | null;
  /** Expiration Date (ISO 8601, midnight UTC): from then on every matching current object expires. */
  expirationDate?: string | null;
  abortIncompleteMultipartUploadDays: number | null;
  /** NoncurrentVersionExpiration: days after a version became noncurrent, and how many newest noncurrent versions are always kept. */
  noncurrentDays?: number | null;
  newerNoncurrentVersions?: number | null;
  /** Expiration ExpiredObjectDeleteMarker: a latest delete marker with no versions behind it is removed. */
  expiredObjectDeleteMarker?: boolean;
  /**
   * How the filter was written, so GET returns it in that form: `legacy` is a top-level
   * `<Prefix>`, the others the element inside `<Filter>`. Absent in rules stored before it was kept.
   */
  filterForm?: "legacy" | "empty" | "prefix" | "tag" | "and";
}

/** A bucket's lifecycle configuration (PUT/GET/DELETE ?lifecycle), executed by the regional worker. */
export const bucketLifecycle = pgTable("bucket_lifecycle", {
  bucketId: uuid("bucket_id").primaryKey().references(() => buckets.bucketId, { onDelete: "cascade" }),
  rules: jsonb("rules").$type<LifecycleRule[]>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
