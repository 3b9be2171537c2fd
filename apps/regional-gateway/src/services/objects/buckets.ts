import { and, eq, inArray } from "drizzle-orm";
import { assertBucketName, s3Error } from "@s3gw/core";
import { buckets, multipartParts, multipartUploads, objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import type { RegionalDb, RegionalTx } from "../../env.ts";
import { lockedBucketState } from "./object-statements.ts";
import { dbAndCache, type DbOrDeps } from "../cache/cache-deps.ts";
import { bucketCacheKey } from "../cache/regional-cache.ts";

export type Bucket = typeof buckets.$inferSelect;

/**
 * The customer's bucket, or NoSuchBucket. Given deps carrying the instance's cache, a found
 * bucket is reused until a change to its row is notified, or CACHE_TTL_MS at most; a missing
 * one is asked again each time (a bucket just created elsewhere is found at once).
 */
export async function findBucket(from: DbOrDeps, customerId: string, name: string): Promise<Bucket> {
  assertBucketName(name);
  const { db, cache } = dbAndCache(from);
  const load = async () => {
    const [row] = await db
      .select()
      .from(buckets)
      .where(and(eq(buckets.customerId, customerId), eq(buckets.bucketName, name)))
      .limit(1);
    return row && Object.freeze(row);
  };
  const row = cache ? await cache.buckets.get(bucketCacheKey(customerId, name), load) : await load();
  if (!row) throw s3Error("NoSuchBucket", undefined, { resource: name });
  return row;
}

/** A CreateBucket's outcome: the bucket was made, or the customer already had one of that name (left as it is). */
export type CreateBucketOutcome = { created: true } | { created: false; existing: Bucket };

/**
 * `objectLock`: S3's `x-amz-bucket-object-lock-enabled: true`, which also turns versioning on for good.
 * Never changes an existing bucket. A same-named bucket that a concurrent DeleteBucket removes
 * between the insert and the look-up is created anew (a few times at most, then OperationAborted).
 */
export async function createBucket(from: DbOrDeps, customerId: string, regionId: string, name: string, now: Date, opts: { objectLock?: boolean } = {}): Promise<CreateBucketOutcome> {
  assertBucketName(name);
  const { db, cache } = dbAndCache(from);
  const lock = opts.objectLock ? { objectLockEnabled: true, versioning: "Enabled" as const } : {};
  for (let attempt = 0; attempt < 3; attempt++) {
    const created = await db
      .insert(buckets)
      .values({ customerId, bucketName: name, regionId, createdAt: now, ...lock })
      .onConflictDoNothing()
      .returning({ id: buckets.bucketId });
    // Absent buckets are never cached, but an entry for a same-named bucket deleted elsewhere may
    // not have been forgotten yet.
    cache?.buckets.invalidate(bucketCacheKey(customerId, name));
    if (created.length > 0) return { created: true };
    // Read from the database, not the cache: the answer describes the row that refused the insert.
    const [existing] = await db.select().from(buckets).where(and(eq(buckets.customerId, customerId), eq(buckets.bucketName, name))).limit(1);
    if (existing) return { created: false, existing };
  }
  throw s3Error("OperationAborted", undefined, { resource: name });
}

/**
 * Deletes an empty bucket. The bucket row is locked first: an object commit holds a key-share
 * lock on it (see `lockBucketForCommit`), so a commit in flight finishes before the emptiness
 * check (which then sees its object: 409), and a commit that comes after finds no bucket (404).
 */
/** The bytes of multipart uploads a DeleteBucket aborted, to be removed once it committed. */
export interface AbortedUploadParts { providerId: string; storageKeys: string[] }

/**
 * Deletes an empty bucket. As on AWS, uploads still in progress do not keep a bucket alive:
 * they are aborted with it (their rows in the same transaction; their parts' bytes are returned
 * for the caller to delete after the commit).
 */
export async function deleteBucket(from: DbOrDeps, customerId: string, name: string): Promise<AbortedUploadParts[]> {
  const { db, cache } = dbAndCache(from);
  const bucket = await findBucket(db, customerId, name);
  try {
    return await db.transaction(async (tx) => {
      const [locked] = await tx.select({ id: buckets.bucketId }).from(buckets).where(eq(buckets.bucketId, bucket.bucketId)).for("update");
      if (!locked) throw s3Error("NoSuchBucket", undefined, { resource: name });
      // Noncurrent versions and delete markers count, as in S3: a bucket is empty only without any.
      const [anyObject] = await tx.select({ id: objectMetadata.objectId }).from(objectMetadata).where(eq(objectMetadata.bucketId, bucket.bucketId)).limit(1);
      const [anyMarker] = anyObject ? [] : await tx.select({ id: objectDeleteMarkers.markerId }).from(objectDeleteMarkers).where(eq(objectDeleteMarkers.bucketId, bucket.bucketId)).limit(1);
      if (anyObject || anyMarker) throw s3Error("BucketNotEmpty", undefined, { resource: name });
      // Locked, so a part being added meanwhile waits for this commit and then finds no upload.
      const uploads = await tx.select({ id: multipartUploads.uploadId, providerId: multipartUploads.storageProviderId }).from(multipartUploads)
        .where(eq(multipartUploads.bucketId, bucket.bucketId)).for("update");
      const parts = uploads.length === 0 ? [] : await tx.select({ uploadId: multipartParts.uploadId, storageKey: multipartParts.storageKey }).from(multipartParts)
        .where(inArray(multipartParts.uploadId, uploads.map((u) => u.id)));
      if (uploads.length > 0) await tx.delete(multipartUploads).where(eq(multipartUploads.bucketId, bucket.bucketId));
      await tx.delete(buckets).where(eq(buckets.bucketId, bucket.bucketId));
      return uploads.map((u) => ({ providerId: u.providerId, storageKeys: parts.filter((p) => p.uploadId === u.id).map((p) => p.storageKey) }));
    });
  } catch (err) {
    // Anything else still referencing the bucket (an upload begun meanwhile) trips the foreign key.
    if (isForeignKeyViolation(err)) throw s3Error("BucketNotEmpty", undefined, { resource: name });
    throw err;
  } finally {
    // At once on this instance (committed or not, the entry is re-read); others learn it from the notification.
    cache?.buckets.invalidate(bucketCacheKey(customerId, name));
  }
}

/**
 * Inside an object's commit transaction: holds the bucket for the rest of the transaction, so
 * a DeleteBucket waits for the commit; a bucket deleted meanwhile is NoSuchBucket (404), never
 * a foreign-key 500.
 */
export async function lockBucketForCommit(tx: RegionalTx, bucket: Bucket): Promise<Pick<Bucket, "versioning" | "objectLockEnabled">> {
  // The versioning state is read here, not from the cached row, so a commit follows the state it commits under.
  const [row] = await lockedBucketState.run(tx, { bucketId: bucket.bucketId });
  if (!row) throw s3Error("NoSuchBucket", undefined, { resource: bucket.bucketName });
  return row;
}

export function isForeignKeyViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === "23503") return true;
  }
  return false;
}
