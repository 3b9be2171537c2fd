import type { Readable } from "node:stream";
import { and, asc, eq, gt, gte, like, sql } from "drizzle-orm";
import { s3Error, type ListCursor } from "@s3gw/core";
import { objectMetadata } from "@s3gw/schema-regional";
import { BlobNotFoundError, TenantStorage, type ReadRange, type StorageProvider, type StoredBlob } from "@s3gw/storage";
import type { RegionalDb } from "../env.ts";
import type { Bucket } from "./buckets.ts";
import { assertMutable } from "./object-lock.ts";

export type ObjectRow = typeof objectMetadata.$inferSelect;

export interface NewObject {
  contentType: string;
  userMetadata: Record<string, string>;
  systemMetadata: Record<string, string>;
}

/**
 * Commits the metadata of freshly written bytes, replacing any previous version of the key
 * in one transaction, then removes the bytes it replaced. Until the commit, readers see the
 * old object; after it, the new one.
 */
export async function commitObject(
  db: RegionalDb,
  provider: StorageProvider,
  tenant: TenantStorage,
  bucket: Bucket,
  key: string,
  blob: StoredBlob,
  meta: NewObject,
  now: Date,
  lock: { bypassGovernance?: boolean } = {},
): Promise<ObjectRow> {
  let replaced: string | undefined;
  let row: ObjectRow;
  try {
    row = await db.transaction(async (tx) => {
      // Serialises concurrent writers of one key, so each sees which bytes it replaces.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${bucket.bucketId + "/" + key}, 0))`);
      const [old] = await tx
        .select({
          storageKey: objectMetadata.storageKey,
          legalHold: objectMetadata.legalHold,
          legalHoldReason: objectMetadata.legalHoldReason,
          retentionMode: objectMetadata.retentionMode,
          retentionUntil: objectMetadata.retentionUntil,
        })
        .from(objectMetadata)
        .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key)))
        .for("update");
      if (old) assertMutable(old, now, key, lock);
      replaced = old?.storageKey;
      const values = {
        customerId: bucket.customerId,
        bucketId: bucket.bucketId,
        bucketName: bucket.bucketName,
        objectKey: key,
        regionId: provider.location.regionId,
        storageProviderId: provider.location.providerId,
        storageCountry: provider.location.country,
        storageKey: blob.storageKey,
        sizeBytes: blob.size,
        etag: blob.md5Hex,
        sha256: blob.sha256Hex,
        contentType: meta.contentType,
        dataSubjectId: meta.userMetadata["data-subject-id"] ?? null,
        userMetadata: meta.userMetadata,
        systemMetadata: meta.systemMetadata,
        complianceStatus: "compliant",
        lastModified: now,
      };
      const [written] = await tx
        .insert(objectMetadata)
        .values({ ...values, createdAt: now })
        .onConflictDoUpdate({ target: [objectMetadata.bucketId, objectMetadata.objectKey], set: values })
        .returning();
      return written!;
    });
  } catch (err) {
    await tenant.delete(blob.storageKey).catch(() => {});
    throw err;
  }
  if (replaced) await tenant.delete(replaced).catch(() => {}); // a failure leaves a stray for the sweeper
  return row;
}

export async function findObject(db: RegionalDb, bucket: Bucket, key: string): Promise<ObjectRow> {
  const [row] = await db
    .select()
    .from(objectMetadata)
    .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key)))
    .limit(1);
  if (!row) throw s3Error("NoSuchKey", undefined, { resource: key });
  return row;
}

/**
 * Opens an object's bytes. If an overwrite committed and removed the blob between reading
 * the row and opening it, the row is read again: the reader gets the new object whole.
 */
export async function openObject(
  db: RegionalDb,
  tenant: TenantStorage,
  bucket: Bucket,
  key: string,
  pick: (row: ObjectRow) => Promise<ReadRange | undefined>,
): Promise<{ row: ObjectRow; range: ReadRange | undefined; body: Readable }> {
  for (let attempt = 0; ; attempt++) {
    const row = await findObject(db, bucket, key);
    const range = await pick(row);
    try {
      return { row, range, body: await tenant.get(row.storageKey, range) };
    } catch (err) {
      if (!(err instanceof BlobNotFoundError) || attempt >= 4) throw err;
    }
  }
}

export async function deleteObject(
  db: RegionalDb,
  tenant: TenantStorage,
  bucket: Bucket,
  key: string,
  now: Date,
  lock: { bypassGovernance?: boolean } = {},
): Promise<boolean> {
  const removed = await db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(objectMetadata)
      .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key)))
      .for("update");
    if (!row) return undefined;
    assertMutable(row, now, key, lock);
    await tx.delete(objectMetadata).where(eq(objectMetadata.objectId, row.objectId));
    return row.storageKey;
  });
  if (removed) await tenant.delete(removed).catch(() => {});
  return removed !== undefined;
}

/** Key-ordered page of a bucket's objects for the listing algorithm in core. */
export async function fetchKeys(db: RegionalDb, bucket: Bucket, prefix: string, cursor: ListCursor | undefined, limit: number) {
  const conds = [eq(objectMetadata.bucketId, bucket.bucketId)];
  if (prefix) conds.push(like(objectMetadata.objectKey, `${prefix.replace(/[\\%_]/g, "\\$&")}%`));
  if (cursor) conds.push(cursor.inclusive ? gte(objectMetadata.objectKey, cursor.key) : gt(objectMetadata.objectKey, cursor.key));
  const rows = await db
    .select({
      key: objectMetadata.objectKey,
      size: objectMetadata.sizeBytes,
      etag: objectMetadata.etag,
      lastModified: objectMetadata.lastModified,
    })
    .from(objectMetadata)
    .where(and(...conds))
    .orderBy(asc(objectMetadata.objectKey))
    .limit(limit);
  return rows;
}
