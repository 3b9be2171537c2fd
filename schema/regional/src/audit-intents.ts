import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * An object change's promise of its operations_log row, written in the change's own
 * transaction: the audit writer deletes it in the statement that appends the row, so an intent
 * still here after a while names a change that committed without its row (the database failed
 * or the process died in between), and the recovery step appends that row. Keyed by an id the
 * gateway draws itself, not by the request id: a client may choose its request id
 * (x-request-id), and a lifecycle run or a command shares one over many changes.
 * customer_id is the owner of the bucket changed, not a foreign key: the row outlives nothing.
 */
export const auditIntents = pgTable(
  "audit_intents",
  {
    intentId: text("intent_id").primaryKey(),
    requestId: text("request_id").notNull(),
    customerId: text("customer_id").notNull(),
    operationType: text("operation_type").notNull(),
    bucketName: text("bucket_name").notNull(),
    objectKey: text("object_key").notNull(),
    /** The version written or removed (or the marker written), where there is one. */
    versionId: text("version_id"),
    /** The status the change answers with when all goes well (what its recovered row says). */
    statusCode: integer("status_code").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("audit_intents_created_idx").on(t.createdAt)],
);
