import { createHash } from "node:crypto";
import { and, eq, lt } from "drizzle-orm";
import { completedUploads, objectMetadata } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import type { RequestedPart } from "./multipart-complete.ts";
import type { UploadRow } from "./multipart.ts";
import type { ObjectRow, RegionalTx } from "./objects.ts";

/** The part list as completed, normalised as selectParts compares it (ETag quotes and case do not matter). */
function partsDigest(parts: readonly RequestedPart[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p.partNumber}:${p.etag.trim().replace(/^"(.*)"$/, "$1").toLowerCase()}\n`);
  return h.digest("hex");
}

/** Remembers a completion, in the transaction that completes the upload. */
export async function recordCompletion(tx: RegionalTx, upload: UploadRow, parts: readonly RequestedPart[], storageKey: string, now: Date): Promise<void> {
  await tx.insert(completedUploads).values({ uploadId: upload.uploadId, bucketId: upload.bucketId, objectKey: upload.objectKey, partsDigest: partsDigest(parts), storageKey, completedAt: now });
}

/**
 * The object a completed upload of this bucket and key became, if the same part list is being
 * completed again and that object version still exists: a retry is answered as the first was.
 * Anything else (another list, another bucket or key, an object since removed) is not a retry.
 */
export async function findRetriedCompletion(db: RegionalDb, bucket: Bucket, key: string, uploadId: string, parts: readonly RequestedPart[]): Promise<ObjectRow | undefined> {
  const [done] = await db
    .select()
    .from(completedUploads)
    .where(and(eq(completedUploads.uploadId, uploadId), eq(completedUploads.bucketId, bucket.bucketId), eq(completedUploads.objectKey, key)))
    .limit(1);
  if (!done || done.partsDigest !== partsDigest(parts)) return undefined;
  const [row] = await db
    .select()
    .from(objectMetadata)
    .where(and(eq(objectMetadata.bucketId, bucket.bucketId), eq(objectMetadata.objectKey, key), eq(objectMetadata.storageKey, done.storageKey)))
    .limit(1);
  return row;
}

/** Forgets completions older than `olderThan` (with the stale-upload sweep); returns how many. */
export async function sweepCompletions(db: RegionalDb, olderThan: Date): Promise<number> {
  const removed = await db.delete(completedUploads).where(lt(completedUploads.completedAt, olderThan)).returning({ id: completedUploads.uploadId });
  return removed.length;
}
