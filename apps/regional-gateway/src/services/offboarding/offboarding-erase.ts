import { and, asc, count, eq, sql } from "drizzle-orm";
import { buckets, multipartUploads, objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import type { Deps, RegionalTx } from "../../env.ts";
import type { ErasedVersion, KeptVersion } from "../gdpr/gdpr-erasure-versions.ts";
import { abortUpload } from "../objects/multipart.ts";
import { protectionOf } from "../objects/object-lock.ts";
import type { ObjectRow } from "../objects/objects.ts";
import { lockKey, promoteNewest } from "../objects/versions.ts";

export interface CustomerErasure {
  erased: number;
  bytes_erased: number;
  delete_markers_removed: number;
  uploads_aborted: number;
  byte_deletes_failed: number;
  /** Every version kept, with the hold or retention that keeps it. */
  kept: KeptVersion[];
}

interface KeyRef { bucketId: string; bucketName: string; key: string; versioning: string | null }
const PAGE = 200;

/**
 * Erases every object version and delete marker of the customer except what a legal hold or
 * retention protects, key by key, exactly as a GDPR erasure does for one data subject (same lock
 * order, same protection rule, bytes removed after each key's commit); uploads in progress are
 * aborted. Each key is its own transaction, so a run that stops half-way is simply run again.
 */
export async function eraseCustomerObjects(deps: Pick<Deps, "db" | "clock" | "targets" | "logger">, customerId: string): Promise<CustomerErasure> {
  const now = deps.clock.now();
  const out: CustomerErasure = { erased: 0, bytes_erased: 0, delete_markers_removed: 0, uploads_aborted: 0, byte_deletes_failed: 0, kept: [] };
  let after: { bucket: string; key: string } | undefined;
  for (;;) {
    const keys = await keyPage(deps, customerId, after);
    for (const k of keys) {
      const done = await deps.db.transaction((tx) => eraseKey(tx, k, now));
      out.kept.push(...done.kept);
      out.erased += done.erased.length;
      out.bytes_erased += done.erased.reduce((n, v) => n + v.size, 0);
      out.delete_markers_removed += done.markers;
      for (const b of done.blobs) {
        await (await deps.targets.recorded(customerId, b.providerId)).delete(b.storageKey).catch((err: Error) => {
          out.byte_deletes_failed++;
          deps.logger.warn({ err: err.message, customerId }, "offboarding: bytes not removed; the stray sweeper will remove them");
        });
      }
    }
    if (keys.length < PAGE) break;
    const last = keys[keys.length - 1]!;
    after = { bucket: last.bucketName, key: last.key };
  }
  out.delete_markers_removed += await removeOrphanMarkers(deps, customerId);
  const uploads = await deps.db.select({ id: multipartUploads.uploadId, providerId: multipartUploads.storageProviderId }).from(multipartUploads).where(eq(multipartUploads.customerId, customerId));
  for (const u of uploads) {
    await abortUpload(deps.db, await deps.targets.recorded(customerId, u.providerId), u.id).then(() => out.uploads_aborted++, () => {});
  }
  return out;
}

/** The customer's keys holding versions, in (bucket, key) byte order (the columns are COLLATE "C"), after `after`. */
function keyPage(deps: Pick<Deps, "db">, customerId: string, after: { bucket: string; key: string } | undefined): Promise<KeyRef[]> {
  const seek = after ? sql`(${objectMetadata.bucketName}, ${objectMetadata.objectKey}) > (${after.bucket}, ${after.key})` : undefined;
  return deps.db
    .selectDistinct({ bucketId: objectMetadata.bucketId, bucketName: objectMetadata.bucketName, key: objectMetadata.objectKey, versioning: buckets.versioning })
    .from(objectMetadata)
    .innerJoin(buckets, eq(buckets.bucketId, objectMetadata.bucketId))
    .where(and(eq(objectMetadata.customerId, customerId), seek))
    .orderBy(asc(objectMetadata.bucketName), asc(objectMetadata.objectKey))
    .limit(PAGE);
}

/** Delete markers of keys left without any version (a marker over kept versions still hides them, so it stays). */
async function removeOrphanMarkers(deps: Pick<Deps, "db">, customerId: string): Promise<number> {
  const gone = await deps.db
    .delete(objectDeleteMarkers)
    .where(
      and(
        eq(objectDeleteMarkers.customerId, customerId),
        sql`not exists (select 1 from ${objectMetadata} where ${objectMetadata.bucketId} = ${objectDeleteMarkers.bucketId} and ${objectMetadata.objectKey} = ${objectDeleteMarkers.objectKey})`,
      ),
    )
    .returning({ id: objectDeleteMarkers.markerId });
  return gone.length;
}

async function eraseKey(tx: RegionalTx, k: KeyRef, now: Date) {
  const bucket = { bucketId: k.bucketId };
  if (k.versioning !== null) await lockKey(tx, bucket, k.key);
  const versions: ObjectRow[] = await tx
    .select().from(objectMetadata)
    .where(and(eq(objectMetadata.bucketId, k.bucketId), eq(objectMetadata.objectKey, k.key)))
    .orderBy(asc(objectMetadata.versionStamp))
    .for("update");
  const kept: KeptVersion[] = [];
  const erased: ErasedVersion[] = [];
  const blobs: { providerId: string; storageKey: string }[] = [];
  let latestGone = false;
  for (const v of versions) {
    const reason = protectionOf(v, now);
    if (reason) {
      kept.push({ bucket: v.bucketName, key: v.objectKey, version_id: v.versionId, reason });
      continue;
    }
    await tx.delete(objectMetadata).where(eq(objectMetadata.objectId, v.objectId));
    latestGone ||= v.isLatest;
    erased.push({ bucket: v.bucketName, key: v.objectKey, version_id: v.versionId, sha256: v.sha256, size: v.sizeBytes });
    blobs.push({ providerId: v.storageProviderId, storageKey: v.storageKey });
  }
  let markers = 0;
  const [left] = await tx.select({ n: count() }).from(objectMetadata).where(and(eq(objectMetadata.bucketId, k.bucketId), eq(objectMetadata.objectKey, k.key)));
  if (left!.n === 0) {
    // No version left: every marker goes. A key that keeps versions keeps its markers (they still hide them).
    markers = (await tx.delete(objectDeleteMarkers).where(and(eq(objectDeleteMarkers.bucketId, k.bucketId), eq(objectDeleteMarkers.objectKey, k.key))).returning({ id: objectDeleteMarkers.markerId })).length;
  } else if (latestGone) {
    await promoteNewest(tx, bucket, k.key);
  }
  return { kept, erased, blobs, markers };
}
