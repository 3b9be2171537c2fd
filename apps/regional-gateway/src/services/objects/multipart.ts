import { randomBytes } from "node:crypto";
import { and, asc, eq, gt, gte, inArray, like, lt, or } from "drizzle-orm";
import { isAppError, s3Error } from "@s3gw/core";
import { multipartParts, multipartUploads, type EncryptionDocument } from "@s3gw/schema-regional";
import { TenantStorage, type StoredBlob } from "@s3gw/storage";
import type { Deps, RegionalDb } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import { sweepCompletions } from "./completed-uploads.ts";

export type UploadRow = typeof multipartUploads.$inferSelect;
export type PartRow = typeof multipartParts.$inferSelect;

/** S3's multipart limits. */
export const MIN_PART_SIZE = 5 * 1024 ** 2;
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MAX_PARTS = 10_000;

/**
 * Opaque and unguessable, URL-safe. A time prefix makes ids sort in initiation order, which
 * is the order S3 lists the uploads of one key in.
 */
export function newUploadId(now: Date): string {
  return `${now.getTime().toString(36).padStart(9, "0")}${randomBytes(24).toString("base64url")}`;
}

export async function createUpload(db: RegionalDb, values: Omit<typeof multipartUploads.$inferInsert, "uploadId"> & { initiatedAt: Date }): Promise<UploadRow> {
  const [row] = await db.insert(multipartUploads).values({ ...values, uploadId: newUploadId(values.initiatedAt) }).returning();
  return row!;
}

/** The upload, if it exists and is this bucket's and key's; anything else is NoSuchUpload, so ids of other tenants reveal nothing. */
export async function findUpload(db: RegionalDb, bucket: Bucket, key: string, uploadId: string): Promise<UploadRow> {
  const [row] = await db
    .select()
    .from(multipartUploads)
    .where(and(eq(multipartUploads.uploadId, uploadId), eq(multipartUploads.bucketId, bucket.bucketId), eq(multipartUploads.objectKey, key)))
    .limit(1);
  if (!row) throw s3Error("NoSuchUpload", undefined, { resource: uploadId });
  return row;
}

/**
 * Records a part's freshly written blob. Re-uploading a part number replaces the part; the
 * replaced blob is removed after the commit. If the upload was completed or aborted while
 * the bytes streamed, the new blob is removed and the part refused.
 */
export async function recordPart(
  db: RegionalDb,
  tenant: TenantStorage,
  upload: UploadRow,
  part: { partNumber: number; blob: StoredBlob; encryption: EncryptionDocument | null; checksum?: string | null },
  now: Date,
): Promise<PartRow> {
  const { partNumber, blob } = part;
  let replaced: string | undefined;
  let row: PartRow;
  try {
    row = await db.transaction(async (tx) => {
      const [live] = await tx.select({ id: multipartUploads.uploadId }).from(multipartUploads).where(eq(multipartUploads.uploadId, upload.uploadId)).for("share");
      if (!live) throw s3Error("NoSuchUpload", undefined, { resource: upload.uploadId });
      const [old] = await tx
        .select({ storageKey: multipartParts.storageKey })
        .from(multipartParts)
        .where(and(eq(multipartParts.uploadId, upload.uploadId), eq(multipartParts.partNumber, partNumber)))
        .for("update");
      replaced = old?.storageKey;
      const values = { storageKey: blob.storageKey, sizeBytes: blob.size, etag: blob.md5Hex, sha256: blob.sha256Hex, checksum: part.checksum ?? null, encryption: part.encryption, uploadedAt: now };
      const [written] = await tx
        .insert(multipartParts)
        .values({ uploadId: upload.uploadId, partNumber, ...values })
        .onConflictDoUpdate({ target: [multipartParts.uploadId, multipartParts.partNumber], set: values })
        .returning();
      return written!;
    });
  } catch (err) {
    await tenant.delete(blob.storageKey).catch(() => {});
    throw err;
  }
  if (replaced) await tenant.delete(replaced).catch(() => {});
  return row;
}

export function allParts(db: RegionalDb, uploadId: string): Promise<PartRow[]> {
  return db.select().from(multipartParts).where(eq(multipartParts.uploadId, uploadId)).orderBy(asc(multipartParts.partNumber));
}

/** Parts after `afterPart`, in part-number order. */
export function pageOfParts(db: RegionalDb, uploadId: string, afterPart: number, limit: number): Promise<PartRow[]> {
  return db
    .select()
    .from(multipartParts)
    .where(and(eq(multipartParts.uploadId, uploadId), gt(multipartParts.partNumber, afterPart)))
    .orderBy(asc(multipartParts.partNumber))
    .limit(limit);
}

/** Where a page of uploads starts: from `key` on (inclusive), after it, or after one upload of it. */
export interface UploadCursor { key: string; inclusive: boolean; uploadId?: string }

/** A bucket's uploads whose key starts with `prefix`, in (key, upload id) order, from the cursor. */
export function pageOfUploads(db: RegionalDb, bucket: Bucket, prefix: string, cursor: UploadCursor | undefined, limit: number): Promise<UploadRow[]> {
  const conds = [eq(multipartUploads.bucketId, bucket.bucketId)];
  if (prefix) conds.push(like(multipartUploads.objectKey, `${prefix.replace(/[\\%_]/g, "\\$&")}%`));
  if (cursor?.inclusive) conds.push(gte(multipartUploads.objectKey, cursor.key));
  else if (cursor?.uploadId !== undefined) {
    conds.push(or(gt(multipartUploads.objectKey, cursor.key), and(eq(multipartUploads.objectKey, cursor.key), gt(multipartUploads.uploadId, cursor.uploadId)))!);
  } else if (cursor) conds.push(gt(multipartUploads.objectKey, cursor.key));
  return db
    .select()
    .from(multipartUploads)
    .where(and(...conds))
    .orderBy(asc(multipartUploads.objectKey), asc(multipartUploads.uploadId))
    .limit(limit);
}

/** Removes an upload and its parts' bytes. Rows go first: a blob left by a crash is a stray for the sweeper, never a part without bytes. */
export async function abortUpload(db: RegionalDb, tenant: TenantStorage, uploadId: string): Promise<number> {
  const keys = await db.transaction(async (tx) => {
    const [live] = await tx.select({ id: multipartUploads.uploadId }).from(multipartUploads).where(eq(multipartUploads.uploadId, uploadId)).for("update");
    if (!live) throw s3Error("NoSuchUpload", undefined, { resource: uploadId });
    const parts = await tx.select({ storageKey: multipartParts.storageKey }).from(multipartParts).where(eq(multipartParts.uploadId, uploadId));
    await tx.delete(multipartUploads).where(eq(multipartUploads.uploadId, uploadId));
    return parts.map((p) => p.storageKey);
  });
  for (const key of keys) await tenant.delete(key).catch(() => {});
  return keys.length;
}

/**
 * Aborts every upload initiated before `olderThan` (S3's lifecycle rule for incomplete uploads),
 * and forgets completions as old (a Complete is retried within seconds); returns how many aborted.
 */
export async function sweepStaleUploads(deps: Deps, olderThan: Date): Promise<number> {
  let aborted = 0;
  for (;;) {
    const stale = await deps.db
      .select({ uploadId: multipartUploads.uploadId, customerId: multipartUploads.customerId, providerId: multipartUploads.storageProviderId })
      .from(multipartUploads)
      .where(lt(multipartUploads.initiatedAt, olderThan))
      .limit(100);
    for (const u of stale) {
      try {
        await abortUpload(deps.db, await deps.targets.recorded(u.customerId, u.providerId), u.uploadId);
        aborted++;
      } catch (err) {
        // Completed or aborted concurrently: nothing left to sweep. Anything else stops the sweep.
        if (!(isAppError(err) && err.code === "NoSuchUpload")) throw err;
      }
    }
    if (stale.length < 100) break;
  }
  await sweepCompletions(deps.db, olderThan);
  return aborted;
}

/** Which of these backend keys hold parts of uploads in progress (the stray sweeper must keep them). */
export async function partStorageKeys(db: RegionalDb, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.select({ k: multipartParts.storageKey }).from(multipartParts).where(inArray(multipartParts.storageKey, keys));
  return new Set(rows.map((r) => r.k));
}
