import { jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { buckets } from "./buckets.ts";

/**
 * The bucket sub-resources that are one document each (`PUT/GET/DELETE ?cors`, `?policy`,
 * `?tagging`, `?object-lock`, `?publicAccessBlock`, ...): one row per bucket and kind, the
 * document in the service's own validated shape (a policy also keeps the text it was PUT as,
 * validated, since GetBucketPolicy answers it verbatim). `customer_id`
 * is carried so a change notifies the caches of that customer (migration 0007's trigger).
 */
export const bucketSettings = pgTable(
  "bucket_settings",
  {
    bucketId: uuid("bucket_id").notNull().references(() => buckets.bucketId, { onDelete: "cascade" }),
    customerId: text("customer_id").notNull(),
    kind: text("kind").notNull(),
    document: jsonb("document").$type<unknown>().notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.bucketId, t.kind] })],
);
