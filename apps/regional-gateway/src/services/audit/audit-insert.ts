import type { regionalSchema } from "@s3gw/schema-regional";
import { sql } from "drizzle-orm";
import { type Db, Statement } from "@s3gw/db";
import type { OperationRow } from "./audit.ts";

/** A row as storableRow() made it, with its place in the chain and the intent it fulfils. */
export type ChainedRow = OperationRow & { prevHash: string; rowHash: string };

/**
 * One batch as one statement with one parameter: the rows travel as a JSON array of objects
 * keyed by column name and Postgres unpacks them (json_populate_recordset, typed by the table
 * itself). Drizzle's multi-row insert builds and type-checks 18 parameters per row in
 * JavaScript on every batch, which was the largest single cost of the audit writer; this text
 * never changes, so it is a Statement the driver prepares once per connection (a Parse and a
 * Describe answered before each batch's Bind when it was run unnamed). Rows come out of the function
 * in array order, so the serial ids still follow the chain. `id` is left to its default.
 *
 * The same statement deletes the audit intents the rows fulfil (`intent_id`, which is no column
 * of operations_log, so json_populate_recordset ignores it): an intent disappears exactly when
 * its row commits, and a statement that fails leaves both as they were.
 */
export async function insertAuditRows(db: Db<typeof regionalSchema>, rows: readonly ChainedRow[]): Promise<void> {
  const json = JSON.stringify(
    rows.map((r) => ({
      request_id: r.requestId,
      customer_id: r.customerId,
      operation_type: r.operationType,
      bucket_name: r.bucketName,
      object_key: r.objectKey,
      result: r.result,
      status_code: r.statusCode,
      error_code: r.errorCode,
      bytes_transferred: r.bytesTransferred,
      source_ip: r.sourceIp,
      source_country: r.sourceCountry,
      cross_border_transfer: r.crossBorderTransfer,
      compliance_info: r.complianceInfo,
      duration_ms: r.durationMs,
      principal: r.principal,
      prev_hash: r.prevHash,
      row_hash: r.rowHash,
      created_at: r.createdAt.toISOString(),
      intent_id: r.intentId ?? null,
    })),
  );
  await insertRows.run(db, { json });
}

// The batch is sent once and read twice: by the insert, and by the delete of the intents.
const insertRows = Statement.sql<{ json: string }>(sql`
    with batch as materialized (select ${sql.placeholder("json")}::json as rows),
    appended as (
      insert into operations_log (request_id, customer_id, operation_type, bucket_name, object_key, result, status_code,
        error_code, bytes_transferred, source_ip, source_country, cross_border_transfer, compliance_info, duration_ms,
        principal, prev_hash, row_hash, created_at)
      select request_id, customer_id, operation_type, bucket_name, object_key, result, status_code,
        error_code, bytes_transferred, source_ip, source_country, cross_border_transfer, compliance_info, duration_ms,
        principal, prev_hash, row_hash, created_at
      from json_populate_recordset(null::operations_log, (select rows from batch)))
    delete from audit_intents i
    using json_to_recordset((select rows from batch)) as r(intent_id text)
    where i.intent_id = r.intent_id`);
