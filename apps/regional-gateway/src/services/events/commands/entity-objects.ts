import { and, asc, count, eq, inArray, sql, type SQL } from "drizzle-orm";
import { buckets, objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../../env.ts";
import type { Bucket } from "../../objects/buckets.ts";

/** The object tag that links an object to an upstream entity (the document-vault seed's cascade key). */
export const ENTITY_TAG = "entity-id";

export interface TaggedVersion { bucketId: string; bucketName: string; key: string; versionId: string }
export interface VersionCursor { bucketName: string; key: string; versionId: string }

const tagged = (customerId: string, entityId: string): SQL =>
  and(eq(objectMetadata.customerId, customerId), sql`${objectMetadata.tags} @> ${JSON.stringify({ [ENTITY_TAG]: entityId })}::jsonb`)!;

const after = (c: VersionCursor | undefined): SQL | undefined =>
  c ? sql`(${objectMetadata.bucketName}, ${objectMetadata.objectKey}, ${objectMetadata.versionId} collate "C") > (${c.bucketName}, ${c.key}, ${c.versionId} collate "C")` : undefined;

/**
 * One page of the customer's object versions tagged with the entity, in (bucket, key, version)
 * order after `from`: current versions only (`latest`), or every version. Tags belong to a
 * version, so a version without the tag is not the entity's, whatever its key.
 */
export function taggedVersionPage(db: RegionalDb, customerId: string, entityId: string, opts: { latest: boolean; from: VersionCursor | undefined; limit: number }): Promise<TaggedVersion[]> {
  return db
    .select({ bucketId: objectMetadata.bucketId, bucketName: objectMetadata.bucketName, key: objectMetadata.objectKey, versionId: objectMetadata.versionId })
    .from(objectMetadata)
    .where(and(tagged(customerId, entityId), opts.latest ? eq(objectMetadata.isLatest, true) : undefined, after(opts.from)))
    .orderBy(asc(objectMetadata.bucketName), asc(objectMetadata.objectKey), sql`${objectMetadata.versionId} collate "C"`)
    .limit(opts.limit);
}

export const cursorOf = (v: TaggedVersion): VersionCursor => ({ bucketName: v.bucketName, key: v.key, versionId: v.versionId });

/** The page's buckets as they are now (versioning read fresh, not from a cache). */
export async function bucketsById(db: RegionalDb, ids: string[]): Promise<Map<string, Bucket>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(buckets).where(inArray(buckets.bucketId, [...new Set(ids)]));
  return new Map(rows.map((b) => [b.bucketId, b]));
}

/** The delete markers of a key that no longer has any version: they hide nothing any more. */
export async function orphanMarkers(db: RegionalDb, bucket: Bucket, key: string): Promise<string[]> {
  const [left] = await db.select({ n: count() }).from(objectMetadata).where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key)));
  if (left!.n > 0) return [];
  const markers = await db.select({ versionId: objectDeleteMarkers.versionId }).from(objectDeleteMarkers)
    .where(and(eq(objectDeleteMarkers.bucketId, bucket.bucketId), eq(objectDeleteMarkers.objectKey, key)));
  return markers.map((m) => m.versionId);
}
