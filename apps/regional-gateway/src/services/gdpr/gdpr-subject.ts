import { and, asc, count, eq, gt, sql, type SQL } from "drizzle-orm";
import { objectMetadata, operationsLog } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../env.ts";
import type { Tx } from "./gdpr.ts";
import type { ObjectRow } from "../objects/objects.ts";

/**
 * How objects are linked to a data subject: the `x-amz-meta-data-subject-id` header of the
 * PutObject that wrote them, kept in object_metadata.data_subject_id (indexed with customer_id).
 */
export const SUBJECT_LINK = "object_metadata.data_subject_id, set from the x-amz-meta-data-subject-id header at PutObject";

export interface Subject { customerId: string; dataSubjectId: string }

export const subjectObjects = (s: Subject): SQL =>
  and(eq(objectMetadata.customerId, s.customerId), eq(objectMetadata.dataSubjectId, s.dataSubjectId))!;

/** Where a page of the subject's object versions resumes. */
export interface SubjectCursor { bucket: string; key: string; versionId: string }
export const subjectCursor = (o: ObjectRow): SubjectCursor => ({ bucket: o.bucketName, key: o.objectKey, versionId: o.versionId });

/** One page of the subject's object versions (every version: each holds personal data) in (bucket, key, version id) order, after `after`. */
export function subjectObjectPage(db: RegionalDb | Tx, s: Subject, after: SubjectCursor | undefined, limit: number): Promise<ObjectRow[]> {
  const seek = after ? sql`(${objectMetadata.bucketName}, ${objectMetadata.objectKey}, ${objectMetadata.versionId} collate "C") > (${after.bucket}, ${after.key}, ${after.versionId} collate "C")` : undefined;
  return db
    .select()
    .from(objectMetadata)
    .where(and(subjectObjects(s), seek))
    .orderBy(asc(objectMetadata.bucketName), asc(objectMetadata.objectKey), sql`${objectMetadata.versionId} collate "C"`)
    .limit(limit);
}

// The log's bucket/key columns use the database collation; the metadata's are byte-wise ("C").
const logMatchesObject = and(
  eq(operationsLog.customerId, objectMetadata.customerId),
  sql`${operationsLog.bucketName} collate "C" = ${objectMetadata.bucketName}`,
  sql`${operationsLog.objectKey} collate "C" = ${objectMetadata.objectKey}`,
);

/** One page (in log order) of the operations-log entries about the subject's current objects. */
export function subjectLogPage(db: RegionalDb | Tx, s: Subject, afterId: number, limit: number) {
  return db
    .select({ log: operationsLog })
    .from(operationsLog)
    .innerJoin(objectMetadata, logMatchesObject)
    .where(and(subjectObjects(s), gt(operationsLog.id, afterId)))
    .orderBy(asc(operationsLog.id))
    .limit(limit)
    .then((rows) => rows.map((r) => r.log));
}

export async function subjectTotals(db: RegionalDb | Tx, s: Subject) {
  const [o] = await db
    .select({ n: count(), bytes: sql<number>`coalesce(sum(${objectMetadata.sizeBytes}), 0)`.mapWith(Number) })
    .from(objectMetadata)
    .where(subjectObjects(s));
  const [l] = await db.select({ n: count() }).from(operationsLog).innerJoin(objectMetadata, logMatchesObject).where(subjectObjects(s));
  return { objects: o?.n ?? 0, bytes: o?.bytes ?? 0, logEntries: l?.n ?? 0 };
}

export function exportObjectView(o: ObjectRow) {
  return {
    bucket: o.bucketName,
    key: o.objectKey,
    version_id: o.versionId,
    is_latest: o.isLatest,
    size: o.sizeBytes,
    etag: o.etag,
    sha256: o.sha256,
    content_type: o.contentType,
    user_metadata: o.userMetadata,
    system_metadata: o.systemMetadata,
    created_at: o.createdAt.toISOString(),
    last_modified: o.lastModified.toISOString(),
    compliance_status: o.complianceStatus,
    data_classification: o.dataClassification,
    storage: { region: o.regionId, country: o.storageCountry, provider: o.storageProviderId },
    legal_hold: { on: o.legalHold, reason: o.legalHoldReason, set_by: o.legalHoldSetBy, set_at: o.legalHoldSetAt?.toISOString() ?? null },
    retention: { mode: o.retentionMode, until: o.retentionUntil?.toISOString() ?? null },
    processing_restricted: o.processingRestricted,
  };
}

export function exportLogView(l: typeof operationsLog.$inferSelect) {
  return {
    id: l.id,
    at: l.createdAt.toISOString(),
    request_id: l.requestId,
    operation: l.operationType,
    bucket: l.bucketName,
    key: l.objectKey,
    result: l.result,
    status_code: l.statusCode,
    error_code: l.errorCode,
    bytes: l.bytesTransferred,
    source_ip: l.sourceIp,
    source_country: l.sourceCountry,
    cross_border: l.crossBorderTransfer,
    principal: l.principal,
    compliance_info: l.complianceInfo,
  };
}
