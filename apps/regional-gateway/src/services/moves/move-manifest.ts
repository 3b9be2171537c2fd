import { createHash } from "node:crypto";
import { objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import { and, asc, eq, sql } from "drizzle-orm";
import type { RegionalDb } from "../../env.ts";

const PAGE = 1000;

export interface Manifest { versions: number; markers: number; digest: string }

/**
 * One SHA-256 over the customer's every object version (bucket, key, version id and stamp, SHA-256,
 * size, ETag, latest) and delete marker, in byte order, paged. Source and target compute it the same
 * way: equal digests mean the target holds exactly the source's versions, each with the digest
 * the target itself verified when it stored the bytes.
 */
export async function customerManifest(db: RegionalDb, customerId: string): Promise<Manifest> {
  const hash = createHash("sha256");
  let versions = 0;
  let markers = 0;
  let after: { b: string; k: string; v: string } | undefined;
  for (;;) {
    const seek = after ? sql`(${objectMetadata.bucketName}, ${objectMetadata.objectKey}, ${objectMetadata.versionId} collate "C") > (${after.b}, ${after.k}, ${after.v} collate "C")` : undefined;
    const rows = await db
      .select({ b: objectMetadata.bucketName, k: objectMetadata.objectKey, v: objectMetadata.versionId, sha: objectMetadata.sha256, size: objectMetadata.sizeBytes, etag: objectMetadata.etag, latest: objectMetadata.isLatest, stamp: objectMetadata.versionStamp })
      .from(objectMetadata)
      .where(and(eq(objectMetadata.customerId, customerId), seek))
      .orderBy(asc(objectMetadata.bucketName), asc(objectMetadata.objectKey), sql`${objectMetadata.versionId} collate "C"`)
      .limit(PAGE);
    for (const r of rows) hash.update(JSON.stringify(["v", r.b, r.k, r.v, r.stamp, r.sha, r.size, r.etag, r.latest]) + "\n");
    versions += rows.length;
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    after = { b: last.b, k: last.k, v: last.v };
  }
  let afterMarker: { b: string; k: string; v: string } | undefined;
  for (;;) {
    const seek = afterMarker ? sql`(${objectDeleteMarkers.bucketName}, ${objectDeleteMarkers.objectKey}, ${objectDeleteMarkers.versionId} collate "C") > (${afterMarker.b}, ${afterMarker.k}, ${afterMarker.v} collate "C")` : undefined;
    const rows = await db
      .select({ b: objectDeleteMarkers.bucketName, k: objectDeleteMarkers.objectKey, v: objectDeleteMarkers.versionId, stamp: objectDeleteMarkers.versionStamp, latest: objectDeleteMarkers.isLatest })
      .from(objectDeleteMarkers)
      .where(and(eq(objectDeleteMarkers.customerId, customerId), seek))
      .orderBy(asc(objectDeleteMarkers.bucketName), asc(objectDeleteMarkers.objectKey), sql`${objectDeleteMarkers.versionId} collate "C"`)
      .limit(PAGE);
    for (const r of rows) hash.update(JSON.stringify(["m", r.b, r.k, r.v, r.stamp, r.latest]) + "\n");
    markers += rows.length;
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    afterMarker = { b: last.b, k: last.k, v: last.v };
  }
  return { versions, markers, digest: hash.digest("hex") };
}
