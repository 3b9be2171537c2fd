import { randomBytes } from "node:crypto";
import { and, eq, max, sql } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { objectDeleteMarkers, objectMetadata } from "@s3gw/schema-regional";
import type { Bucket } from "./buckets.ts";
import type { ObjectRow, RegionalTx } from "./objects.ts";
import { keyLock } from "./object-statements.ts";

export type DeleteMarkerRow = typeof objectDeleteMarkers.$inferSelect;

/** The version id of objects written while versioning was never enabled or was suspended. */
export const NULL_VERSION = "null";

/** 24 random bytes, base64url: opaque, URL-safe and never guessable from another version's id. */
const VERSION_ID = /^[A-Za-z0-9_-]{32}$/;

export function newVersionId(): string {
  return randomBytes(24).toString("base64url");
}

/** Whether a string is a version id this gateway could have issued (or `null`, the null version's). */
export const isVersionId = (raw: string): boolean => raw === NULL_VERSION || VERSION_ID.test(raw);

/**
 * A `versionId` from the client, or undefined when absent. Anything that is neither `null` nor
 * shaped like an id this gateway issues is S3's 400 InvalidArgument, before any lookup.
 */
export function parseVersionId(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (isVersionId(raw)) return raw;
  throw s3Error("InvalidArgument", "Invalid version id specified", { resource: "versionId" });
}

/** Whether a write in this bucket keeps what it replaces as a noncurrent version. */
export const keepsVersions = (versioning: Bucket["versioning"]): boolean => versioning === "Enabled";

/** The `x-amz-version-id` S3 sends for a version: none at all in a bucket that never had versioning. */
export function versionHeader(versioning: Bucket["versioning"], versionId: string): Record<string, string> {
  return versioning === null && versionId === NULL_VERSION ? {} : { "x-amz-version-id": versionId };
}

/** What the key-level helpers need of a bucket. */
type KeyOwner = Pick<Bucket, "bucketId">;

/** The `x-amz-version-id` of a write's answer: S3 sends none for a null version (unversioned or suspended bucket). */
export function writtenVersionHeader(versionId: string): Record<string, string> {
  return versionId === NULL_VERSION ? {} : { "x-amz-version-id": versionId };
}

/** Serialises every writer of one key (commits, deletes, version removal) for the rest of the transaction. */
export async function lockKey(tx: RegionalTx, bucket: KeyOwner, key: string): Promise<void> {
  await keyLock.run(tx, { lockKey: `${bucket.bucketId}/${key}` });
}

const objectOf = (bucket: KeyOwner, key: string) => and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key));
const markerOf = (bucket: KeyOwner, key: string) => and(eq(objectDeleteMarkers.bucketId, bucket.bucketId), eq(objectDeleteMarkers.objectKey, key));

/**
 * Under the key's lock: the stamp for a new version, strictly above every stamp the key has
 * (microseconds of `now`, or one past the newest when the clock has not moved on), so the
 * newest version is always the one written last.
 */
export async function nextStamp(tx: RegionalTx, bucket: KeyOwner, key: string, now: Date): Promise<number> {
  const [obj] = await tx.select({ s: max(objectMetadata.versionStamp) }).from(objectMetadata).where(objectOf(bucket, key));
  const [marker] = await tx.select({ s: max(objectDeleteMarkers.versionStamp) }).from(objectDeleteMarkers).where(markerOf(bucket, key));
  const newest = Math.max(Number(obj?.s ?? -1), Number(marker?.s ?? -1));
  return Math.max(now.getTime() * 1000, newest + 1);
}

/** Under the key's lock: no version of the key is latest any more (a new one is about to be). */
export async function demoteLatest(tx: RegionalTx, bucket: KeyOwner, key: string): Promise<void> {
  await tx.update(objectMetadata).set({ isLatest: false }).where(and(objectOf(bucket, key), eq(objectMetadata.isLatest, true)));
  await tx.update(objectDeleteMarkers).set({ isLatest: false }).where(and(markerOf(bucket, key), eq(objectDeleteMarkers.isLatest, true)));
}

/** Under the key's lock, after the latest version was removed: the newest remaining one (version or marker) becomes latest. */
export async function promoteNewest(tx: RegionalTx, bucket: KeyOwner, key: string): Promise<void> {
  const [obj] = await tx.select({ id: objectMetadata.objectId, stamp: objectMetadata.versionStamp }).from(objectMetadata)
    .where(objectOf(bucket, key)).orderBy(sql`${objectMetadata.versionStamp} desc`).limit(1);
  const [marker] = await tx.select({ id: objectDeleteMarkers.markerId, stamp: objectDeleteMarkers.versionStamp }).from(objectDeleteMarkers)
    .where(markerOf(bucket, key)).orderBy(sql`${objectDeleteMarkers.versionStamp} desc`).limit(1);
  if (marker && (!obj || marker.stamp > obj.stamp)) {
    await tx.update(objectDeleteMarkers).set({ isLatest: true }).where(eq(objectDeleteMarkers.markerId, marker.id));
  } else if (obj) {
    await tx.update(objectMetadata).set({ isLatest: true }).where(eq(objectMetadata.objectId, obj.id));
  }
}

/** Under the key's lock: one version of the key, locked, as an object version or a delete marker. */
export async function lockedVersion(tx: RegionalTx, bucket: KeyOwner, key: string, versionId: string): Promise<{ object?: ObjectRow; marker?: DeleteMarkerRow }> {
  const [object] = await tx.select().from(objectMetadata).where(and(objectOf(bucket, key), eq(objectMetadata.versionId, versionId))).for("update");
  if (object) return { object };
  const [marker] = await tx.select().from(objectDeleteMarkers).where(and(markerOf(bucket, key), eq(objectDeleteMarkers.versionId, versionId))).for("update");
  return marker ? { marker } : {};
}

/** Writes a delete marker as the key's latest version (the caller has demoted the previous latest). */
export async function insertDeleteMarker(tx: RegionalTx, bucket: Bucket, key: string, versionId: string, now: Date): Promise<DeleteMarkerRow> {
  const versionStamp = await nextStamp(tx, bucket, key, now);
  const [row] = await tx.insert(objectDeleteMarkers).values({
    customerId: bucket.customerId, bucketId: bucket.bucketId, bucketName: bucket.bucketName, objectKey: key,
    versionId, versionStamp, isLatest: true, lastModified: now,
  }).returning();
  return row!;
}
