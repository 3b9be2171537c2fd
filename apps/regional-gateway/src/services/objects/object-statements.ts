// The statements every GET and PUT runs, rendered to SQL once (see Statement in @s3gw/db):
// drizzle rendering the object lookup and the null version's upsert on each request was the
// largest CPU cost of small-object requests after the network (issue 9's profiles).
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { Statement } from "@s3gw/db";
import { buckets, objectMetadata } from "@s3gw/schema-regional";

type ObjectRow = typeof objectMetadata.$inferSelect;
type KeyValues = { bucketId: string; key: string };

const sameKey = () => and(eq(objectMetadata.bucketId, sql.placeholder("bucketId")), eq(objectMetadata.objectKey, sql.placeholder("key")));

/** The key's latest version, if it is an object. */
export const latestObject = Statement.of<KeyValues, ObjectRow[]>((db) =>
  db.select().from(objectMetadata).where(and(sameKey(), eq(objectMetadata.isLatest, true))).limit(1));

/** One version of the key, if it is an object. */
export const objectVersion = Statement.of<KeyValues & { versionId: string }, ObjectRow[]>((db) =>
  db.select().from(objectMetadata).where(and(sameKey(), eq(objectMetadata.versionId, sql.placeholder("versionId")))).limit(1));

/** Inside a commit, under the key's lock: the latest version, locked until the commit. */
export const lockedLatestObject = Statement.of<KeyValues, ObjectRow[]>((db) =>
  db.select().from(objectMetadata).where(and(sameKey(), eq(objectMetadata.isLatest, true))).for("update"));

/** Serialises every writer of one key for the rest of the transaction (`lockKey`: `<bucket id>/<key>`). */
export const keyLock = Statement.sql<{ lockKey: string }>(sql`select pg_advisory_xact_lock(hashtextextended(${sql.placeholder("lockKey")}, 0))`);

/** Holds the bucket (key share) for the rest of the transaction; its versioning state as committed. */
export const lockedBucketState = Statement.of<{ bucketId: string }, { versioning: "Enabled" | "Suspended" | null; objectLockEnabled: boolean }[]>((db) =>
  db.select({ versioning: buckets.versioning, objectLockEnabled: buckets.objectLockEnabled }).from(buckets)
    .where(eq(buckets.bucketId, sql.placeholder("bucketId"))).for("key share"));

/** What a write of a key's null version sets; `createdAt` only when the row is new. */
export type NullVersionValues = Omit<ObjectRow, "objectId" | "legalHoldReason" | "legalHoldSetBy" | "legalHoldSetAt" | "lastVerifiedAt">;

const NULL_VERSION_COLUMNS = [
  "customerId", "bucketId", "bucketName", "objectKey", "isLatest", "regionId", "storageProviderId", "storageCountry", "storageKey",
  "sizeBytes", "etag", "partsCount", "sha256", "contentType", "dataSubjectId", "userMetadata", "systemMetadata", "tags", "encryption",
  "retentionMode", "retentionUntil", "legalHold", "processingRestricted", "dataClassification", "complianceStatus", "lastModified",
  "versionId", "versionStamp", "createdAt",
] as const satisfies readonly (keyof NullVersionValues)[];

/**
 * A bucket never versioned holds one null version per key at most: inserted, or replaced in
 * place (object id, creation time and the compliance side's hold bookkeeping kept).
 */
export const upsertNullVersion = Statement.of<NullVersionValues, ObjectRow[]>((db) => {
  const columns = getTableColumns(objectMetadata);
  const values = Object.fromEntries(NULL_VERSION_COLUMNS.map((k) => [k, sql.placeholder(k)]));
  const set = Object.fromEntries(NULL_VERSION_COLUMNS.filter((k) => k !== "createdAt").map((k) => [k, sql.raw(`excluded."${columns[k].name}"`)]));
  return db.insert(objectMetadata).values(values as never)
    .onConflictDoUpdate({ target: [objectMetadata.bucketId, objectMetadata.objectKey, objectMetadata.versionId], set })
    .returning();
});
