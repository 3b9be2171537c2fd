import { createHash, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { and, asc, eq, gt, inArray, isNull, lte, sql } from "drizzle-orm";
import { bucketLogDeliveries, bucketSettings, buckets, operationsLog } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import { findCustomer } from "../access/customers.ts";
import { formatAccessLogRecord, S3_OPERATION_NAMES, type LoggedOperation } from "./access-log-format.ts";
import { LOGGING_KIND, loggingDocumentSchema, type LoggingDocument } from "./bucket-logging.ts";
import type { Bucket } from "./buckets.ts";
import { prepareObjectWrite, storeObject } from "./object-write.ts";

/** Records per log object, and log objects per bucket per run: a backlog drains over several runs. */
const BATCH = 1000;
const BATCHES_PER_RUN = 20;
/** Only rows this old are read: the audit writer's batches in flight have committed by then, so no id is skipped. */
export const SETTLE_MS = 5_000;
const PRINCIPAL = "access-log-delivery";

export interface AccessLogReport { delivered: number; records: number; failed: number }

/**
 * Server access log delivery, one region's pass (under the region's lease): for each bucket with
 * logging on, the S3 requests on it that the operations log recorded since the bucket's cursor
 * are written, in AWS's format, as objects of the target bucket (the same customer's, in this
 * region: the log never leaves the customer's residency). Each batch is fixed in the cursor
 * before it is written and its key derives from its id range, so a run repeated after a crash
 * rewrites the same object: no entry is lost or delivered twice.
 */
export async function deliverAccessLogs(deps: Deps, now: Date): Promise<AccessLogReport> {
  const report: AccessLogReport = { delivered: 0, records: 0, failed: 0 };
  const configured = await deps.db.select({ bucket: buckets, document: bucketSettings.document }).from(bucketSettings)
    .innerJoin(buckets, eq(buckets.bucketId, bucketSettings.bucketId)).where(eq(bucketSettings.kind, LOGGING_KIND));
  for (const { bucket, document } of configured) {
    try {
      const logging = loggingDocumentSchema.parse(document);
      for (let i = 0; i < BATCHES_PER_RUN; i++) {
        const records = await deliverBatch(deps, bucket, logging, now);
        if (records === 0) break;
        report.delivered++;
        report.records += records;
      }
    } catch (err) {
      report.failed++;
      deps.logger.warn({ worker: "access-log", bucket_id: bucket.bucketId, err: (err as Error).message }, "access log delivery failed; retried next run");
    }
  }
  return report;
}

/** The source bucket's records of the S3 API, by its owner (tenancy: another customer's requests on a same-named bucket are not its). */
const recordsOf = (bucket: Bucket) => and(eq(operationsLog.customerId, bucket.customerId), eq(operationsLog.bucketName, bucket.bucketName), inArray(operationsLog.operationType, [...S3_OPERATION_NAMES]));

/** Writes one batch; returns its record count (0: nothing to deliver). */
async function deliverBatch(deps: Deps, bucket: Bucket, logging: LoggingDocument, now: Date): Promise<number> {
  const [cursor] = await deps.db.select().from(bucketLogDeliveries).where(eq(bucketLogDeliveries.bucketId, bucket.bucketId)).limit(1);
  if (!cursor) {
    // A configuration without its cursor (a bucket moved in from another region, whose operations
    // log stayed there): logged from now on.
    const [head] = await deps.db.select({ id: sql<number | null>`max(${operationsLog.id})` }).from(operationsLog);
    await deps.db.insert(bucketLogDeliveries).values({ bucketId: bucket.bucketId, deliveredThrough: Number(head?.id ?? 0), updatedAt: now }).onConflictDoNothing();
    return 0;
  }
  let through = cursor.pendingThrough;
  if (through === null) {
    const settled = new Date(now.getTime() - SETTLE_MS);
    const ids = await deps.db.select({ id: operationsLog.id }).from(operationsLog)
      .where(and(recordsOf(bucket), gt(operationsLog.id, cursor.deliveredThrough), lte(operationsLog.createdAt, settled)))
      .orderBy(asc(operationsLog.id)).limit(BATCH);
    const last = ids.at(-1);
    if (!last) return 0;
    // Compare-and-set: a second runner (a lease handed over mid-run) fixes no other batch.
    const fixed = await deps.db.update(bucketLogDeliveries).set({ pendingThrough: last.id, updatedAt: now })
      .where(and(eq(bucketLogDeliveries.bucketId, bucket.bucketId), eq(bucketLogDeliveries.deliveredThrough, cursor.deliveredThrough), isNull(bucketLogDeliveries.pendingThrough)))
      .returning({ through: bucketLogDeliveries.pendingThrough });
    if (fixed.length === 0) return 0;
    through = last.id;
  }
  const rows = await deps.db.select().from(operationsLog)
    .where(and(recordsOf(bucket), gt(operationsLog.id, cursor.deliveredThrough), lte(operationsLog.id, through)))
    .orderBy(asc(operationsLog.id));
  if (rows.length > 0) await writeLogObject(deps, bucket, logging, rows, { from: cursor.deliveredThrough, through }, now);
  await deps.db.update(bucketLogDeliveries).set({ deliveredThrough: through, pendingThrough: null, updatedAt: now })
    .where(and(eq(bucketLogDeliveries.bucketId, bucket.bucketId), eq(bucketLogDeliveries.pendingThrough, through)));
  return rows.length;
}

const stamp = (at: Date) => at.toISOString().slice(0, 19).replace("T", "-").replace(/:/g, "-");

/**
 * `[prefix]YYYY-mm-DD-HH-MM-SS-<id>` or `[prefix]<owner>/<region>/<bucket>/YYYY/mm/DD/YYYY-mm-DD-HH-MM-SS-<id>`.
 * The times are the batch's records' (the last one's; the first one's for EventTime partitions), not
 * the clock's, and the id is the batch's range: a repeated delivery has the same key.
 */
export function logObjectKey(bucket: Bucket, logging: LoggingDocument, rows: LoggedOperation[], range: { from: number; through: number }): string {
  const at = rows.at(-1)!.createdAt;
  const unique = createHash("sha256").update(`${bucket.bucketId}:${range.from}:${range.through}`).digest("hex").slice(0, 16).toUpperCase();
  const name = `${stamp(at)}-${unique}`;
  if (logging.keyFormat.kind === "simple") return `${logging.targetPrefix}${name}`;
  const day = (logging.keyFormat.dateSource === "EventTime" ? rows[0]!.createdAt : at).toISOString().slice(0, 10).replace(/-/g, "/");
  return `${logging.targetPrefix}${bucket.customerId}/${bucket.regionId}/${bucket.bucketName}/${day}/${name}`;
}

async function writeLogObject(deps: Deps, bucket: Bucket, logging: LoggingDocument, rows: LoggedOperation[], range: { from: number; through: number }, now: Date): Promise<void> {
  const customer = await findCustomer(deps.db, bucket.customerId);
  if (!customer) throw new Error("the bucket's customer is not registered here");
  // The target is the bucket it was when logging was configured: a same-named bucket made since is not written to.
  const [target] = await deps.db.select({ id: buckets.bucketId }).from(buckets).where(eq(buckets.bucketId, logging.targetBucketId)).limit(1);
  if (!target) throw new Error(`target bucket ${logging.targetBucket} no longer exists`);
  const body = Buffer.from(rows.map((r) => `${formatAccessLogRecord(r)}\n`).join(""), "utf8");
  const key = logObjectKey(bucket, logging, rows, range);
  const requestId = randomUUID();
  const op = { operation: "DeliverAccessLog", requestId, customerId: bucket.customerId, bucket: logging.targetBucket, key, principal: PRINCIPAL } as { operation: string; requestId: string; customerId: string; bucket: string; key: string; principal: string; info?: Record<string, unknown>; intentId?: string };
  const ctx = { deps, customer, op };
  const started = performance.now();
  const prepared = await prepareObjectWrite({ ctx, input: { bucketName: logging.targetBucket, key, sourceCountry: null, contentType: "text/plain", declaredSize: body.length, bypassGovernance: async () => false } });
  const row = await storeObject({ ctx, prepared, input: { key, sourceCountry: null, meta: { contentType: "text/plain", userMetadata: {}, systemMetadata: {} }, bytes: (tenant, dataKey) => tenant.put(Readable.from([body]), { expectedSize: body.length, maxSize: body.length }, dataKey) } });
  // The write's audit row, before the cursor moves on: no delivered log object without one. It
  // fulfils the audit intent the commit wrote (storeObject set op.intentId).
  const auditRow = {
    requestId, intentId: op.intentId, customerId: bucket.customerId, operationType: "DeliverAccessLog", bucketName: logging.targetBucket, objectKey: key,
    result: "success" as const, statusCode: 200, errorCode: null, bytesTransferred: body.length, sourceIp: null, sourceCountry: null, crossBorderTransfer: false,
    complianceInfo: { ...op.info, source_bucket: bucket.bucketName, records: rows.length, from_id: range.from, through_id: range.through, version_id: row.versionId },
    durationMs: Math.round(performance.now() - started), principal: PRINCIPAL, createdAt: now,
  };
  await deps.audit.record(auditRow);
}

