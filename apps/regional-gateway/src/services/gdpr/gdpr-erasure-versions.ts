import { and, asc, count, eq, inArray } from "drizzle-orm";
import { buckets, objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import type { ObjectRow } from "../objects/objects.ts";
import { protectionOf } from "../objects/object-lock.ts";
import { lockKey, promoteNewest } from "../objects/versions.ts";
import type { Tx } from "./gdpr.ts";
import { subjectObjects, type Subject } from "./gdpr-subject.ts";

export interface ErasedVersion { bucket: string; key: string; version_id: string; sha256: string; size: number }
export interface KeptVersion { bucket: string; key: string; version_id: string; reason: string }

export interface VersionErasure {
  erased: ErasedVersion[];
  kept: KeptVersion[];
  markersRemoved: number;
  /** The bytes to remove once the transaction has committed. */
  blobs: { providerId: string; storageKey: string; customerId: string }[];
}

/**
 * Inside the erasure's transaction: removes every version of the subject's objects that no
 * legal hold or retention protects, and every delete marker of a key left without versions
 * (a marker of a key that keeps versions still hides them, so it stays). Keys in versioned
 * buckets are locked first, in one order, exactly as writers lock them, so a key's latest version
 * is settled again under its lock without deadlocking a writer. A bucket never versioned holds
 * one null version per key and no markers: its row lock suffices (a writer waits for it), so a
 * subject with many objects there does not hold a lock per key.
 */
export async function eraseSubjectVersions(tx: Tx, s: Subject, now: Date): Promise<VersionErasure> {
  const keys = await tx
    .selectDistinct({ bucketId: objectMetadata.bucketId, bucketName: objectMetadata.bucketName, key: objectMetadata.objectKey, versioning: buckets.versioning })
    .from(objectMetadata)
    .innerJoin(buckets, eq(buckets.bucketId, objectMetadata.bucketId))
    .where(subjectObjects(s))
    .orderBy(asc(objectMetadata.bucketName), asc(objectMetadata.objectKey));
  const out: VersionErasure = { erased: [], kept: [], markersRemoved: 0, blobs: [] };
  for (const k of keys) {
    const bucket = { bucketId: k.bucketId };
    if (k.versioning !== null) await lockKey(tx, bucket, k.key);
    const versions: ObjectRow[] = await tx
      .select()
      .from(objectMetadata)
      .where(and(subjectObjects(s), eq(objectMetadata.bucketId, k.bucketId), eq(objectMetadata.objectKey, k.key)))
      .orderBy(asc(objectMetadata.versionStamp))
      .for("update");
    const doomed: string[] = [];
    let latestGone = false;
    for (const v of versions) {
      const reason = protectionOf(v, now);
      if (reason) {
        out.kept.push({ bucket: v.bucketName, key: v.objectKey, version_id: v.versionId, reason });
        continue;
      }
      doomed.push(v.objectId);
      latestGone ||= v.isLatest;
      out.erased.push({ bucket: v.bucketName, key: v.objectKey, version_id: v.versionId, sha256: v.sha256, size: v.sizeBytes });
      out.blobs.push({ providerId: v.storageProviderId, storageKey: v.storageKey, customerId: v.customerId });
    }
    if (doomed.length > 0) await tx.delete(objectMetadata).where(inArray(objectMetadata.objectId, doomed));
    const [left] = await tx.select({ n: count() }).from(objectMetadata).where(and(eq(objectMetadata.bucketId, k.bucketId), eq(objectMetadata.objectKey, k.key)));
    if (left!.n === 0) {
      const markers = await tx.delete(objectDeleteMarkers)
        .where(and(eq(objectDeleteMarkers.bucketId, k.bucketId), eq(objectDeleteMarkers.objectKey, k.key)))
        .returning({ id: objectDeleteMarkers.markerId });
      out.markersRemoved += markers.length;
    } else if (latestGone) {
      await promoteNewest(tx, bucket, k.key);
    }
  }
  return out;
}
