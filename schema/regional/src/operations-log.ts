import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** Every operation, allowed or denied. customer_id is not a foreign key: denied requests for unknown customers are logged too. */
export const operationsLog = pgTable(
  "operations_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    requestId: text("request_id").notNull(),
    customerId: text("customer_id"),
    operationType: text("operation_type").notNull(),
    bucketName: text("bucket_name"),
    objectKey: text("object_key"),
    result: text("result").$type<"success" | "denied" | "error">().notNull(),
    statusCode: integer("status_code").notNull(),
    errorCode: text("error_code"),
    bytesTransferred: bigint("bytes_transferred", { mode: "number" }).notNull().default(0),
    sourceIp: text("source_ip"),
    sourceCountry: text("source_country"),
    crossBorderTransfer: boolean("cross_border_transfer").notNull().default(false),
    complianceInfo: jsonb("compliance_info").$type<Record<string, unknown>>().notNull().default({}),
    durationMs: integer("duration_ms"),
    /** Who acted: `customer:<id>`, `token:<id>` (with its role), or `anonymous`. */
    principal: text("principal"),
    /** Hash chain: row_hash = SHA-256(prev_hash + canonical row). One chain per region. */
    prevHash: text("prev_hash").notNull(),
    rowHash: text("row_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("operations_log_customer_time_idx").on(t.customerId, t.createdAt),
    index("operations_log_time_idx").on(t.createdAt),
    // One successor per row: a writer appending under a stale chain head (one that another
    // writer already extended) is refused by the database instead of forking the chain.
    uniqueIndex("operations_log_prev_hash_key").on(t.prevHash),
  ],
);
