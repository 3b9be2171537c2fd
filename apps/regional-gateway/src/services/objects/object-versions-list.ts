import { and, asc, desc, eq, gt, gte, like, lt, or } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { pastPrefix, s3Error } from "@s3gw/core";
import { objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import { parseVersionId } from "./versions.ts";

/** One entry of ListObjectVersions: a version with bytes or a delete marker. */
export interface VersionEntry {
  key: string;
  versionId: string;
  stamp: number;
  isLatest: boolean;
  lastModified: Date;
  marker: boolean;
  size: number;
  etag: string;
  partsCount: number | null;
}

/**
 * Where a page starts, in (key ascending, newest version first) order: from `key` on
 * (inclusive), after all of `key`'s versions, or after the version of `key` with `stamp`.
 */
export type VersionCursor = { key: string; inclusive: true } | { key: string; inclusive: false; stamp?: number };

export interface VersionListing { entries: VersionEntry[]; commonPrefixes: string[]; isTruncated: boolean; next: { key: string; versionId?: string } | undefined }

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const escapeLike = (s: string) => `${s.replace(/[\\%_]/g, "\\$&")}%`;

/**
 * The cursor for S3's key-marker / version-id-marker: after that version of the key (one that
 * no longer exists: from the key's first remaining version), after all versions of the key, or
 * past everything under a common prefix returned as NextKeyMarker. A malformed version id is
 * refused before this (parseVersionId).
 */
export async function versionCursor(db: RegionalDb, bucket: Bucket, q: { keyMarker?: string; versionIdMarker?: string; prefix: string; delimiter?: string }): Promise<VersionCursor | undefined> {
  if (q.versionIdMarker !== undefined && !q.keyMarker) throw s3Error("InvalidArgument", "A version-id marker cannot be specified without a key marker.");
  if (!q.keyMarker) return undefined;
  if (q.versionIdMarker === undefined) {
    const rest = q.keyMarker.startsWith(q.prefix) ? q.keyMarker.slice(q.prefix.length) : undefined;
    if (q.delimiter && rest !== undefined && rest.indexOf(q.delimiter) === rest.length - q.delimiter.length) {
      const past = pastPrefix(q.keyMarker);
      return past.inclusive ? { key: past.key, inclusive: true } : { key: past.key, inclusive: false };
    }
    return { key: q.keyMarker, inclusive: false };
  }
  parseVersionId(q.versionIdMarker); // a malformed one is refused (400), a well-formed one may be gone
  const [obj] = await db.select({ s: objectMetadata.versionStamp }).from(objectMetadata)
    .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, q.keyMarker), eq(objectMetadata.versionId, q.versionIdMarker))).limit(1);
  const [marker] = obj ? [] : await db.select({ s: objectDeleteMarkers.versionStamp }).from(objectDeleteMarkers)
    .where(and(eq(objectDeleteMarkers.bucketId, bucket.bucketId), eq(objectDeleteMarkers.objectKey, q.keyMarker), eq(objectDeleteMarkers.versionId, q.versionIdMarker))).limit(1);
  const stamp = obj?.s ?? marker?.s;
  // The marker's version may be gone: a client that deletes each page before asking for the
  // next (as s3-tests' bucket cleanup does) names a version it just deleted. Version ids are
  // random, so its place is unknown: list the key's remaining versions again rather than skip any.
  if (stamp === undefined) return { key: q.keyMarker, inclusive: true };
  return { key: q.keyMarker, inclusive: false, stamp };
}

/** Up to `limit` entries after the cursor: the newest `limit` of each table, merged. */
async function fetchVersions(db: RegionalDb, bucket: Bucket, prefix: string, cursor: VersionCursor | undefined, limit: number): Promise<VersionEntry[]> {
  const seek = (keyCol: AnyPgColumn, stampCol: AnyPgColumn) => {
    if (!cursor) return undefined;
    if (cursor.inclusive) return gte(keyCol, cursor.key);
    if (cursor.stamp === undefined) return gt(keyCol, cursor.key);
    return or(gt(keyCol, cursor.key), and(eq(keyCol, cursor.key), lt(stampCol, cursor.stamp)));
  };
  const om = objectMetadata;
  const dm = objectDeleteMarkers;
  const objects = await db
    .select({ key: om.objectKey, versionId: om.versionId, stamp: om.versionStamp, isLatest: om.isLatest, lastModified: om.lastModified, size: om.sizeBytes, etag: om.etag, partsCount: om.partsCount })
    .from(om)
    .where(and(eq(om.bucketId, bucket.bucketId), prefix ? like(om.objectKey, escapeLike(prefix)) : undefined, seek(om.objectKey, om.versionStamp)))
    .orderBy(asc(om.objectKey), desc(om.versionStamp))
    .limit(limit);
  const markers = await db
    .select({ key: dm.objectKey, versionId: dm.versionId, stamp: dm.versionStamp, isLatest: dm.isLatest, lastModified: dm.lastModified })
    .from(dm)
    .where(and(eq(dm.bucketId, bucket.bucketId), prefix ? like(dm.objectKey, escapeLike(prefix)) : undefined, seek(dm.objectKey, dm.versionStamp)))
    .orderBy(asc(dm.objectKey), desc(dm.versionStamp))
    .limit(limit);
  const all: VersionEntry[] = [
    ...objects.map((o) => ({ ...o, marker: false })),
    ...markers.map((m) => ({ ...m, marker: true, size: 0, etag: "", partsCount: null })),
  ];
  all.sort((a, b) => byteOrder(a.key, b.key) || b.stamp - a.stamp);
  return all.slice(0, limit);
}

/**
 * ListObjectVersions over both tables, with S3's delimiter grouping: a common prefix counts as
 * one entry against max-keys and the scan jumps past everything under it.
 */
export async function listVersions(db: RegionalDb, bucket: Bucket, req: { prefix: string; delimiter: string | undefined; maxKeys: number; cursor: VersionCursor | undefined }): Promise<VersionListing> {
  const entries: VersionEntry[] = [];
  const commonPrefixes: string[] = [];
  let cursor = req.cursor;
  let last: { key: string; versionId?: string } | undefined;
  if (req.maxKeys === 0) return { entries, commonPrefixes, isTruncated: false, next: undefined };
  const batch = Math.min(req.maxKeys + 1, 1000);
  for (;;) {
    const rows = await fetchVersions(db, bucket, req.prefix, cursor, batch);
    let reseek = false;
    for (const row of rows) {
      if (commonPrefixes.length > 0 && row.key.startsWith(commonPrefixes.at(-1)!)) continue;
      if (entries.length + commonPrefixes.length === req.maxKeys) return { entries, commonPrefixes, isTruncated: true, next: last };
      const rest = row.key.slice(req.prefix.length);
      const at = req.delimiter ? rest.indexOf(req.delimiter) : -1;
      if (at >= 0) {
        const prefix = req.prefix + rest.slice(0, at + req.delimiter!.length);
        commonPrefixes.push(prefix);
        last = { key: prefix };
        const past = pastPrefix(prefix);
        cursor = past.inclusive ? { key: past.key, inclusive: true } : { key: past.key, inclusive: false };
        reseek = true;
        break;
      }
      entries.push(row);
      last = { key: row.key, versionId: row.versionId };
      cursor = { key: row.key, inclusive: false, stamp: row.stamp };
    }
    if (!reseek && rows.length < batch) return { entries, commonPrefixes, isTruncated: false, next: undefined };
  }
}
