import { and, asc, eq, gt, or, sql, type SQL } from "drizzle-orm";
import { apiError, CUSTOMER_ID_RE, isAppError } from "@s3gw/core";
import { buckets, objectMetadata } from "@s3gw/schema-regional";
import { z } from "zod";
import type { RegionalDb, RegionalTx } from "../../env.ts";
import { insertComplianceEvent } from "../events/outbox.ts";
import type { Bucket } from "../objects/buckets.ts";
import { findCustomer, type Customer } from "../access/customers.ts";
import { setLegalHold } from "../objects/object-lock.ts";
import type { ObjectRow } from "../objects/objects.ts";
import { isVersionId } from "../objects/versions.ts";

export const customerIdField = z.string().regex(CUSTOMER_ID_RE, "malformed customer id");
export const bucketField = z.string().min(3).max(63);
export const keyField = z.string().min(1).refine((k) => Buffer.byteLength(k, "utf8") <= 1024, "key longer than 1024 bytes");

export const holdSchema = z.strictObject({
  customer_id: customerIdField,
  bucket: bucketField,
  key: keyField,
  /** One version of the key (noncurrent ones too, `null` for the null version); without it, the current version. */
  version_id: z.string().max(64).refine(isVersionId, "not a version id").optional(),
  reason: z.string().trim().min(1).max(500),
});

/** The customer, bucket and object a management request names, as JSON 404s rather than S3 errors. */
export async function locate(db: RegionalDb, sel: { customerId: string; bucket?: string; key?: string; versionId?: string | undefined }) {
  const customer: Customer | undefined = await findCustomer(db, sel.customerId);
  if (!customer) throw apiError.notFound(`customer ${sel.customerId} is not registered in this region`);
  let bucket: Bucket | undefined;
  let object: ObjectRow | undefined;
  if (sel.bucket !== undefined) {
    [bucket] = await db.select().from(buckets).where(and(eq(buckets.customerId, customer.customerId), eq(buckets.bucketName, sel.bucket))).limit(1);
    if (!bucket) throw apiError.notFound(`customer ${customer.customerId} has no bucket ${sel.bucket}`);
  }
  if (bucket && sel.key !== undefined) {
    // Without a version id, the key's current version: a hold placed by key protects what the key serves now.
    const which = sel.versionId === undefined ? eq(objectMetadata.isLatest, true) : eq(objectMetadata.versionId, sel.versionId);
    [object] = await db.select().from(objectMetadata).where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, sel.key), which)).limit(1);
    if (!object) throw apiError.notFound(sel.versionId === undefined ? `no object ${sel.key} in bucket ${sel.bucket}` : `no version ${sel.versionId} of ${sel.key} in bucket ${sel.bucket}`);
  }
  return { customer, bucket, object };
}

/**
 * Places a legal hold with a reason through the compliance API; placing it again restates the
 * reason. As S3's legal hold, it is the version's own: a hold on one version leaves the others
 * (and the versions written later) as they are.
 */
export async function placeHold(db: RegionalDb, input: z.infer<typeof holdSchema>, by: string, now: Date) {
  const { bucket, object } = await locate(db, { customerId: input.customer_id, bucket: input.bucket, key: input.key, versionId: input.version_id });
  // The version found, by id: a write between the look-up and the lock must not move the hold to the newer version.
  const { before, after } = await mapS3Errors(setLegalHold(db, bucket!, input.key, { on: true, reason: input.reason, by, now, mayLiftManagedHold: true, versionId: object!.versionId, inTransaction: publishHold("hold.placed", by, now) }));
  return { before, hold: holdView(after, now) };
}

export async function liftHold(db: RegionalDb, input: z.infer<typeof holdSchema>, by: string, now: Date) {
  const { bucket, object } = await locate(db, { customerId: input.customer_id, bucket: input.bucket, key: input.key, versionId: input.version_id });
  const named = `${input.bucket}/${input.key}${input.version_id === undefined ? "" : ` version ${input.version_id}`}`;
  if (!object!.legalHold) throw apiError.conflict(`${named} has no legal hold`);
  const { before, after } = await mapS3Errors(setLegalHold(db, bucket!, input.key, { on: false, reason: null, by, now, mayLiftManagedHold: true, versionId: object!.versionId, inTransaction: publishHold("hold.lifted", by, now) }));
  return { before, hold: holdView(after, now) };
}

/** The `hold.placed` / `hold.lifted` event, committed with the hold's change. */
function publishHold(kind: "hold.placed" | "hold.lifted", by: string, now: Date) {
  return (tx: RegionalTx, row: ObjectRow) =>
    insertComplianceEvent(tx, {
      customerId: row.customerId,
      kind,
      now,
      payload: {
        severity: "medium",
        description: `Legal hold ${kind === "hold.placed" ? "placed on" : "lifted from"} ${row.bucketName}/${row.objectKey}`,
        subject: { bucket: row.bucketName, key: row.objectKey, version_id: row.versionId },
        data: { reason: row.legalHoldReason, by },
      },
    });
}

/** The object disappearing between lookup and lock is a 404 here, not an S3 NoSuchKey. */
async function mapS3Errors<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (isAppError(err) && (err.code === "NoSuchKey" || err.code === "NoSuchVersion")) throw apiError.notFound("the object version no longer exists");
    throw err;
  }
}

/** (customer, bucket, key, version id): several versions of one key may each be held. */
const cursorSchema = z.tuple([z.string(), z.string(), z.string(), z.string()]);

function decodeHoldCursor(raw: string | undefined): [string, string, string, string] | undefined {
  if (raw === undefined) return undefined;
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(raw, "base64url").toString("utf8")));
  } catch {
    throw apiError.badRequest("malformed cursor");
  }
}

/** Object versions under legal hold or unexpired retention, in (customer, bucket, key, version id) order. */
export async function listHolds(db: RegionalDb, q: { customerId?: string; bucket?: string; limit: number; cursor?: string }, now: Date) {
  const after = decodeHoldCursor(q.cursor);
  const conds: (SQL | undefined)[] = [or(eq(objectMetadata.legalHold, true), gt(objectMetadata.retentionUntil, now))];
  if (q.customerId) conds.push(eq(objectMetadata.customerId, q.customerId));
  if (q.bucket) conds.push(eq(objectMetadata.bucketName, q.bucket));
  if (after) {
    conds.push(sql`(${objectMetadata.customerId}, ${objectMetadata.bucketName}, ${objectMetadata.objectKey}, ${objectMetadata.versionId} collate "C") > (${after[0]}, ${after[1]}, ${after[2]}, ${after[3]} collate "C")`);
  }
  const rows = await db
    .select()
    .from(objectMetadata)
    .where(and(...conds))
    .orderBy(asc(objectMetadata.customerId), asc(objectMetadata.bucketName), asc(objectMetadata.objectKey), sql`${objectMetadata.versionId} collate "C"`)
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => holdView(r, now)),
    next_cursor: rows.length > q.limit && last
      ? Buffer.from(JSON.stringify([last.customerId, last.bucketName, last.objectKey, last.versionId])).toString("base64url")
      : null,
  };
}

export function holdView(r: ObjectRow, now: Date) {
  const retained = r.retentionUntil !== null && r.retentionUntil > now;
  return {
    object_id: r.objectId,
    customer_id: r.customerId,
    bucket: r.bucketName,
    key: r.objectKey,
    version_id: r.versionId,
    size_bytes: r.sizeBytes,
    legal_hold: r.legalHold,
    reason: r.legalHold ? r.legalHoldReason : null,
    set_by: r.legalHoldSetBy,
    set_at: r.legalHoldSetAt?.toISOString() ?? null,
    retention_mode: retained ? r.retentionMode ?? "GOVERNANCE" : null,
    retention_until: retained ? r.retentionUntil!.toISOString() : null,
  };
}
