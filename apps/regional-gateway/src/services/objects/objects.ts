import type { Readable } from "node:stream";
import { and, asc, eq, gt, gte, like } from "drizzle-orm";
import { s3Error, type ListCursor, type S3EventName } from "@s3gw/core";
import { objectDeleteMarkers, objectMetadata, type EncryptionDocument } from "@s3gw/schema-regional";
import { BlobNotFoundError, TenantStorage, type ComposedPart, type ReadRange, type StorageProvider, type StoredBlob } from "@s3gw/storage";
import type { RegionalDb, RegionalTx } from "../../env.ts";
import { isForeignKeyViolation, lockBucketForCommit, type Bucket } from "./buckets.ts";
import { assertMutable } from "./object-lock.ts";
import { demoteLatest, keepsVersions, lockKey, newVersionId, nextStamp, NULL_VERSION } from "./versions.ts";
import type { StorageTargets } from "../storage/storage-targets.ts";
import { objectBytes, objectWhole, type BlobKeys } from "../encryption/object-bytes.ts";
import { recordObjectEvent, type ObjectEventContext } from "../events/object-events.ts";
import { latestObject, lockedLatestObject, objectVersion, upsertNullVersion } from "./object-statements.ts";
import { recordIntent, type AuditIntent } from "../audit/audit-intents.ts";

export type ObjectRow = typeof objectMetadata.$inferSelect;

export type { RegionalTx };

export interface NewObject {
  contentType: string;
  userMetadata: Record<string, string>;
  systemMetadata: Record<string, string>;
  /** Replaces the key's tags; a new object without tags has none, as in S3. */
  tags?: Record<string, string>;
  /** How the bytes are encrypted (null only for plaintext written before encryption at rest). */
  encryption?: EncryptionDocument | null;
  /** The new version's own object lock (explicit headers or the bucket's default retention). */
  lock?: { retentionMode: "GOVERNANCE" | "COMPLIANCE" | null; retentionUntil: Date | null; legalHold: boolean };
}

/**
 * S3's conditional writes, as the raw header lists: `If-None-Match` (`*`: only if absent; ETags:
 * not over a current version with one of them) and `If-Match` (`*` or ETags: only over that version).
 */
export interface WriteCondition { ifNoneMatch?: string; ifMatch?: string }

export interface CommitOptions {
  /** The audit row the change promises, written as an intent in the commit transaction. */
  intent: AuditIntent;
  bypassGovernance?: boolean;
  condition?: WriteCondition;
  /** Multipart objects: the hex MD5 of the parts' MD5s and the part count (ETag `<hex>-N`). */
  multipart?: { etag: string; partsCount: number };
  /** Runs inside the commit transaction, before the row is written (a failure commits nothing). */
  inTransaction?: (tx: RegionalTx) => Promise<void>;
  /** The object event the write publishes, written to the outbox in the commit transaction. */
  event?: { ctx: ObjectEventContext | undefined; name: S3EventName };
}

/** The ETag as S3 renders it, quoted: `"<md5>"`, or `"<md5 of md5s>-N"` for a multipart object. */
export function renderEtag(row: { etag: string; partsCount: number | null }): string {
  return row.partsCount ? `"${row.etag}-${row.partsCount}"` : `"${row.etag}"`;
}

/** Throws 412 (or 404 for If-Match on a missing key) unless the write's condition holds for what is there now. */
export function assertWriteCondition(existing: { etag: string; partsCount: number | null } | undefined, cond: WriteCondition | undefined, key: string): void {
  if (!cond) return;
  if (cond.ifNoneMatch !== undefined && existing && etagListMatches(cond.ifNoneMatch, renderEtag(existing))) {
    throw s3Error("PreconditionFailed", undefined, { resource: "If-None-Match" });
  }
  if (cond.ifMatch !== undefined) {
    if (!existing) throw s3Error("NoSuchKey", undefined, { resource: key });
    if (!etagListMatches(cond.ifMatch, renderEtag(existing))) throw s3Error("PreconditionFailed", undefined, { resource: "If-Match" });
  }
}

/** Whether a comma-separated ETag list (`*`, quoted, unquoted or weak) names the rendered ETag. */
export function etagListMatches(list: string, quoted: string): boolean {
  return list.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "");
    return v === "*" || v === quoted || `"${v}"` === quoted;
  });
}

/**
 * Commits the metadata of freshly written bytes as the key's latest version, in one transaction.
 * In a bucket with versioning Enabled the previous versions stay (noncurrent); otherwise the
 * write replaces the key's `null` version (and a `null` delete marker), whose bytes are removed
 * after the commit. Until the commit, readers see the old object; after it, the new one. Lock
 * state and write conditions are judged again here, under the key's lock, so a concurrent writer
 * cannot slip between the early check and this.
 */
export async function commitObject(
  db: RegionalDb,
  targets: StorageTargets,
  write: { provider: StorageProvider; tenant: TenantStorage },
  bucket: Bucket,
  key: string,
  blob: StoredBlob,
  meta: NewObject,
  now: Date,
  opts: CommitOptions,
): Promise<ObjectRow> {
  const { provider, tenant } = write;
  let replaced: { storageKey: string; providerId: string } | undefined;
  let row: ObjectRow;
  // Sent with the row's own write (no round trip of its own): the intent commits exactly when the version does.
  const intended = (tx: RegionalTx, versionId: string) =>
    recordIntent(tx, opts.intent, { customerId: bucket.customerId, bucketName: bucket.bucketName, key, versionId });
  const announced = async (tx: RegionalTx, written: ObjectRow): Promise<ObjectRow> => {
    if (opts.event) await recordObjectEvent(tx, opts.event.ctx, opts.event.name, { key, size: written.sizeBytes, etag: written.etag, partsCount: written.partsCount, versionId: written.versionId }, now);
    return written;
  };
  try {
    row = await db.transaction(async (tx) => {
      // Sent together (one round trip); the server runs them in order, so the row is read under the key's lock.
      const [, state, [latest]] = await Promise.all([
        lockKey(tx, bucket, key),
        lockBucketForCommit(tx, bucket),
        lockedLatestObject.run(tx, { bucketId: bucket.bucketId, key }),
      ]);
      assertWriteCondition(latest, opts.condition, key);
      if (opts.inTransaction) await opts.inTransaction(tx);
      const lock = meta.lock ?? { retentionMode: null, retentionUntil: null, legalHold: false };
      // What a previous version was marked with by the compliance side stays with the key.
      const carried = latest ? { processingRestricted: latest.processingRestricted, dataClassification: latest.dataClassification } : { processingRestricted: false, dataClassification: "internal" };
      const values = {
        customerId: bucket.customerId,
        bucketId: bucket.bucketId,
        bucketName: bucket.bucketName,
        objectKey: key,
        isLatest: true,
        regionId: provider.location.regionId,
        storageProviderId: provider.location.providerId,
        storageCountry: provider.location.country,
        storageKey: blob.storageKey,
        sizeBytes: blob.size,
        etag: opts.multipart?.etag ?? blob.md5Hex,
        partsCount: opts.multipart?.partsCount ?? null,
        sha256: blob.sha256Hex,
        contentType: meta.contentType,
        dataSubjectId: meta.userMetadata["data-subject-id"] ?? null,
        userMetadata: meta.userMetadata,
        systemMetadata: meta.systemMetadata,
        tags: meta.tags ?? {},
        encryption: meta.encryption ?? null,
        ...lock,
        ...carried,
        complianceStatus: "compliant",
        lastModified: now,
      };
      if (state.versioning === null) {
        // A bucket never versioned holds one null version per key at most: replaced in place, as before versioning existed.
        if (latest) assertMutable(latest, now, key, opts);
        replaced = latest && { storageKey: latest.storageKey, providerId: latest.storageProviderId };
        const [[written]] = await Promise.all([
          upsertNullVersion.run(tx, { ...values, versionId: NULL_VERSION, versionStamp: now.getTime() * 1000, createdAt: now }),
          intended(tx, NULL_VERSION),
        ]);
        return announced(tx, written!);
      }
      const versionId = keepsVersions(state.versioning) ? newVersionId() : NULL_VERSION;
      if (versionId === NULL_VERSION) {
        const [old] = await tx.delete(objectMetadata).where(and(keyOf(bucket, key), eq(objectMetadata.versionId, NULL_VERSION))).returning();
        // Deleted rows come back inside the transaction: a protected one rolls the whole commit back.
        if (old) assertMutable(old, now, key, opts);
        replaced = old && { storageKey: old.storageKey, providerId: old.storageProviderId };
        await tx.delete(objectDeleteMarkers).where(and(eq(objectDeleteMarkers.bucketId, bucket.bucketId), eq(objectDeleteMarkers.objectKey, key), eq(objectDeleteMarkers.versionId, NULL_VERSION)));
      }
      await demoteLatest(tx, bucket, key);
      const versionStamp = await nextStamp(tx, bucket, key, now);
      const [[written]] = await Promise.all([
        tx.insert(objectMetadata).values({ ...values, versionId, versionStamp, createdAt: now }).returning(),
        intended(tx, versionId),
      ]);
      return announced(tx, written!);
    });
  } catch (err) {
    await tenant.delete(blob.storageKey).catch(() => {});
    // Belt and braces: a bucket gone without the lock seeing it is still the client's 404.
    if (isForeignKeyViolation(err)) throw s3Error("NoSuchBucket", undefined, { resource: bucket.bucketName, cause: err });
    throw err;
  }
  // The replaced bytes may be on another target (the customer's configuration changed); a failure leaves a stray for the sweeper.
  if (replaced) await removeBlob(targets, bucket.customerId, replaced.providerId, replaced.storageKey);
  return row;
}

const keyOf = (bucket: Bucket, key: string) => and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key));

/**
 * The key's latest version, or the given version. A key whose latest version is a delete marker
 * is S3's 404 NoSuchKey with `x-amz-delete-marker: true`; a versionId naming a delete marker is
 * 405 MethodNotAllowed (a marker has no body), one naming nothing is 404 NoSuchVersion.
 */
export async function findObject(db: RegionalDb, bucket: Bucket, key: string, versionId?: string): Promise<ObjectRow> {
  const row = await lookupObject(db, bucket, key, versionId);
  if (row) return row;
  // A bucket never versioned has no delete markers (versioning is never switched off again).
  // S3 says so on a missing key's 404 (`x-amz-delete-marker: false`): absent, not hidden by a marker.
  const absent = { "x-amz-delete-marker": "false" };
  if (bucket.versioning === null && versionId === undefined) throw s3Error("NoSuchKey", undefined, { resource: key, headers: absent });
  const markerCond = versionId === undefined ? eq(objectDeleteMarkers.isLatest, true) : eq(objectDeleteMarkers.versionId, versionId);
  const [marker] = await db.select().from(objectDeleteMarkers)
    .where(and(eq(objectDeleteMarkers.bucketId, bucket.bucketId), eq(objectDeleteMarkers.objectKey, key), markerCond)).limit(1);
  const headers: Record<string, string> = marker ? { "x-amz-delete-marker": "true", "x-amz-version-id": marker.versionId } : absent;
  if (marker && versionId !== undefined) throw s3Error("MethodNotAllowed", undefined, { resource: key, headers: { ...headers, "last-modified": marker.lastModified.toUTCString() } });
  if (versionId !== undefined) throw s3Error("NoSuchVersion", undefined, { resource: key });
  throw s3Error("NoSuchKey", undefined, { resource: key, headers });
}

/** The key's latest version (or the given one) if it is an object, without asking why not otherwise. */
export async function lookupObject(db: RegionalDb, bucket: Bucket, key: string, versionId?: string): Promise<ObjectRow | undefined> {
  const [row] = versionId === undefined
    ? await latestObject.run(db, { bucketId: bucket.bucketId, key })
    : await objectVersion.run(db, { bucketId: bucket.bucketId, key, versionId });
  return row;
}

/** An object opened for reading; `parts`: a multipart object's manifest (those `range` touches), for verifying what is read. */
export interface OpenedObject { row: ObjectRow; range: ReadRange | undefined; body: Readable; parts: ComposedPart[] | undefined }

/** What openObject gives when asked for small objects whole: their plaintext itself, where the store could read it so. */
export type OpenedOrWhole = OpenedObject | { row: ObjectRow; range: undefined; whole: Buffer };

/**
 * Opens an object's bytes. If an overwrite committed and removed the blob (or a multipart
 * object's manifest) between reading the row and opening it, the row is read again: the
 * reader gets the new object whole.
 */
export function openObject(
  db: RegionalDb,
  targets: StorageTargets,
  bucket: Bucket,
  key: string,
  pick: (row: ObjectRow) => Promise<ReadRange | undefined>,
  keys: BlobKeys,
  versionId?: string,
): Promise<OpenedObject>;
export function openObject(
  db: RegionalDb, targets: StorageTargets, bucket: Bucket, key: string, pick: (row: ObjectRow) => Promise<ReadRange | undefined>, keys: BlobKeys,
  versionId: string | undefined, opts: { wholeUpTo: number },
): Promise<OpenedOrWhole>;
export async function openObject(
  db: RegionalDb, targets: StorageTargets, bucket: Bucket, key: string, pick: (row: ObjectRow) => Promise<ReadRange | undefined>, keys: BlobKeys,
  versionId?: string, opts?: { wholeUpTo: number },
): Promise<OpenedOrWhole> {
  for (let attempt = 0; ; attempt++) {
    const row = await findObject(db, bucket, key, versionId);
    const range = await pick(row);
    try {
      const tenant = await targets.recorded(row.customerId, row.storageProviderId);
      const whole = opts && !range && row.sizeBytes <= opts.wholeUpTo ? await objectWhole(tenant, row, keys) : undefined;
      if (whole) return { row, range: undefined, whole };
      return { row, range, ...(await objectBytes(tenant, row, keys, range)) };
    } catch (err) {
      if (!(err instanceof BlobNotFoundError) || attempt >= 4) throw err;
    }
  }
}

/** Deletes bytes after their metadata is gone; a failure leaves a stray for the sweeper, never a dangling row. */
export async function removeBlob(targets: StorageTargets, customerId: string, providerId: string, storageKey: string): Promise<void> {
  try {
    await (await targets.recorded(customerId, providerId)).delete(storageKey);
  } catch {
    // swept later
  }
}

/** Key-ordered page of a bucket's objects for the listing algorithm in core. */
export async function fetchKeys(db: RegionalDb, bucket: Bucket, prefix: string, cursor: ListCursor | undefined, limit: number) {
  // Listings show each key's latest version; a key whose latest is a delete marker has none.
  const conds = [eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.isLatest, true)];
  if (prefix) conds.push(like(objectMetadata.objectKey, `${prefix.replace(/[\\%_]/g, "\\$&")}%`));
  if (cursor) conds.push(cursor.inclusive ? gte(objectMetadata.objectKey, cursor.key) : gt(objectMetadata.objectKey, cursor.key));
  const rows = await db
    .select({
      key: objectMetadata.objectKey,
      size: objectMetadata.sizeBytes,
      etag: objectMetadata.etag,
      partsCount: objectMetadata.partsCount,
      lastModified: objectMetadata.lastModified,
    })
    .from(objectMetadata)
    .where(and(...conds))
    .orderBy(asc(objectMetadata.objectKey))
    .limit(limit);
  return rows;
}
