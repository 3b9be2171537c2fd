import { and, eq } from "drizzle-orm";
import { objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../env.ts";
import type { StorageTargets } from "../storage/storage-targets.ts";
import { lockBucketForCommit, type Bucket } from "./buckets.ts";
import { assertMutable } from "./object-lock.ts";
import { removeBlob, type ObjectRow, type RegionalTx } from "./objects.ts";
import { recordObjectEvent, type ObjectEventContext } from "../events/object-events.ts";
import { recordIntent, type AuditIntent } from "../audit/audit-intents.ts";
import { demoteLatest, insertDeleteMarker, keepsVersions, lockedVersion, lockKey, newVersionId, NULL_VERSION, promoteNewest } from "./versions.ts";

/** What a DeleteObject did, for its response headers and audit row. */
export interface DeleteOutcome {
  /** A version (object or marker) was removed, or a marker was written. */
  changed: boolean;
  /** The version removed or the marker written; absent for a plain delete in an unversioned bucket. */
  versionId?: string;
  /** The version removed, or the one written, is a delete marker. */
  deleteMarker: boolean;
}

/**
 * S3's DeleteObject. With a versionId: that version (object or marker) goes for good, if its
 * lock allows, and the newest remaining version becomes latest. Without: an unversioned bucket
 * loses the object; a versioned one gets a delete marker as latest (allowed whatever the locks,
 * nothing is destroyed); a suspended one replaces its `null` version with a `null` marker.
 * Bytes are removed only after the metadata commit.
 */
export async function deleteObject(
  db: RegionalDb,
  targets: StorageTargets,
  bucket: Bucket,
  key: string,
  now: Date,
  opts: {
    /** The audit row a change promises, written as an intent in its transaction (nothing changed: none). */
    intent: AuditIntent;
    bypassGovernance?: boolean;
    versionId?: string | undefined;
    /** Without versionId: judged under the key's lock on its latest version; false leaves the key as it is (lifecycle's re-check). */
    onlyIf?: (latest: ObjectRow | undefined) => boolean;
    /** The event a change publishes, in the same transaction: S3's `ObjectRemoved:*`, or lifecycle's `LifecycleExpiration:*`. */
    event?: { ctx: ObjectEventContext | undefined; family: "s3:ObjectRemoved" | "s3:LifecycleExpiration" };
  },
): Promise<DeleteOutcome> {
  let removed: ObjectRow | undefined;
  const outcome = await db.transaction(async (tx): Promise<DeleteOutcome> => {
    const done = await deleteInTransaction(tx);
    if (!done.changed) return done;
    // A marker created is `DeleteMarkerCreated`; anything removed for good (an object, a version, a marker) is `Delete`.
    const created = opts.versionId === undefined && done.deleteMarker;
    const facts = { key, versionId: done.versionId };
    await Promise.all([
      recordIntent(tx, opts.intent, { customerId: bucket.customerId, bucketName: bucket.bucketName, key, versionId: done.versionId }),
      opts.event && recordObjectEvent(tx, opts.event.ctx, `${opts.event.family}:${created ? "DeleteMarkerCreated" : "Delete"}`, facts, now),
    ]);
    return done;
  });
  if (removed) await removeBlob(targets, removed.customerId, removed.storageProviderId, removed.storageKey);
  return outcome;

  async function deleteInTransaction(tx: RegionalTx): Promise<DeleteOutcome> {
    await lockKey(tx, bucket, key);
    const state = await lockBucketForCommit(tx, bucket);
    if (opts.versionId !== undefined) {
      const found = await lockedVersion(tx, bucket, key, opts.versionId);
      if (found.object) assertMutable(found.object, now, key, opts);
      removed = found.object;
      const gone = await removeVersion(tx, found);
      if (!gone) return { changed: false, versionId: opts.versionId, deleteMarker: false };
      if (gone.isLatest) await promoteNewest(tx, bucket, key);
      return { changed: true, versionId: opts.versionId, deleteMarker: found.marker !== undefined };
    }
    if (opts.onlyIf) {
      const [latest] = await tx.select().from(objectMetadata)
        .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key), eq(objectMetadata.isLatest, true))).for("update");
      if (!opts.onlyIf(latest)) return { changed: false, deleteMarker: false };
    }
    if (keepsVersions(state.versioning)) {
      await demoteLatest(tx, bucket, key);
      const marker = await insertDeleteMarker(tx, bucket, key, newVersionId(), now);
      return { changed: true, versionId: marker.versionId, deleteMarker: true };
    }
    const found = await lockedVersion(tx, bucket, key, NULL_VERSION);
    if (found.object) assertMutable(found.object, now, key, opts);
    removed = found.object;
    const gone = await removeVersion(tx, found);
    if (state.versioning === null) {
      return { changed: gone !== undefined, deleteMarker: false };
    }
    await demoteLatest(tx, bucket, key);
    await insertDeleteMarker(tx, bucket, key, NULL_VERSION, now);
    return { changed: true, versionId: NULL_VERSION, deleteMarker: true };
  }
}

async function removeVersion(tx: RegionalTx, found: Awaited<ReturnType<typeof lockedVersion>>): Promise<{ isLatest: boolean } | undefined> {
  if (found.object) {
    await tx.delete(objectMetadata).where(eq(objectMetadata.objectId, found.object.objectId));
    return found.object;
  }
  if (found.marker) {
    await tx.delete(objectDeleteMarkers).where(eq(objectDeleteMarkers.markerId, found.marker.markerId));
    return found.marker;
  }
  return undefined;
}
