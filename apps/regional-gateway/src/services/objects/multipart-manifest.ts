import { and, asc, eq, gt, inArray, lte, lt, sql } from "drizzle-orm";
import { objectMetadata, objectParts, storageMigrationItems, type EncryptionDocument } from "@s3gw/schema-regional";
import type { ComposedPart, PartManifests, ReadRange } from "@s3gw/storage";
import type { RegionalDb } from "../../env.ts";
import type { StorageTargets } from "../storage/storage-targets.ts";
import type { RegionalTx } from "./objects.ts";

/** Rows per insert: well under Postgres's 65535 bind parameters for 10,000 parts. */
const INSERT_BATCH = 1000;
/** Orphaned manifests removed per sweep; the next sweep takes the rest. */
const ORPHANS_PER_SWEEP = 500;

/** A part as it becomes one of a manifest's (an upload's part row, or a migrated copy of one). */
export interface ManifestEntry { partNumber: number; storageKey: string; size: number; md5Hex: string; sha256Hex: string; encryption: EncryptionDocument | null }

/**
 * The part manifests (object_parts) of multipart objects, as storage resolves composite keys
 * through them (see TenantStorage). Built once per StorageTargets.
 */
export class PartManifestStore implements PartManifests {
  private readonly db: RegionalDb;

  constructor(db: RegionalDb) {
    this.db = db;
  }

  async parts(manifestKey: string, range?: ReadRange): Promise<ComposedPart[]> {
    const p = objectParts;
    const conds = [eq(p.manifestKey, manifestKey)];
    // Only the parts a range touches: a small range of a 10,000-part object reads one or two rows.
    if (range) conds.push(lte(p.offsetBytes, range.end), gt(sql`${p.offsetBytes} + ${p.sizeBytes}`, range.start));
    const rows = await this.db
      .select({ partNumber: p.partNumber, storageKey: p.storageKey, offset: p.offsetBytes, size: p.sizeBytes, md5Hex: p.etag, sha256Hex: p.sha256, encryption: p.encryption })
      .from(p)
      .where(and(...conds))
      .orderBy(asc(p.partNumber));
    return rows;
  }

  async drop(manifestKey: string): Promise<string[]> {
    const rows = await this.db.delete(objectParts).where(eq(objectParts.manifestKey, manifestKey)).returning({ k: objectParts.storageKey });
    return rows.map((r) => r.k);
  }
}

/** Writes a manifest: the parts in order, each with its offset in the whole. In the caller's transaction when given one. */
export async function recordManifest(
  db: RegionalDb | RegionalTx,
  manifestKey: string,
  owner: { customerId: string; providerId: string },
  parts: ManifestEntry[],
  now: Date,
  firstOffset = 0,
): Promise<void> {
  let offset = firstOffset;
  const rows = parts.map((p) => {
    const row = {
      manifestKey, partNumber: p.partNumber, offsetBytes: offset, sizeBytes: p.size, storageKey: p.storageKey, etag: p.md5Hex, sha256: p.sha256Hex, encryption: p.encryption,
      customerId: owner.customerId, storageProviderId: owner.providerId, createdAt: now,
    };
    offset += p.size;
    return row;
  });
  for (let i = 0; i < rows.length; i += INSERT_BATCH) await db.insert(objectParts).values(rows.slice(i, i + INSERT_BATCH));
}

/** Which of these backend keys are parts of a manifest (the stray sweeper must keep them). */
export async function manifestPartKeys(db: RegionalDb, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.select({ k: objectParts.storageKey }).from(objectParts).where(inArray(objectParts.storageKey, keys));
  return new Set(rows.map((r) => r.k));
}

/**
 * Removes manifests no object points at any more, with their parts' bytes, on whichever
 * target they are: what a crash (or a database failure) between deleting or replacing a
 * multipart object and dropping its manifest left behind. A manifest a storage migration is
 * still building or about to release is not touched, nor one younger than `olderThan`.
 */
export async function sweepOrphanManifests(db: RegionalDb, targets: StorageTargets, olderThan: Date): Promise<number> {
  const p = objectParts;
  const i = storageMigrationItems;
  const orphans = await db
    .selectDistinct({ key: p.manifestKey, customerId: p.customerId, providerId: p.storageProviderId })
    .from(p)
    .where(
      and(
        lt(p.createdAt, olderThan),
        sql`not exists (select 1 from ${objectMetadata} where ${objectMetadata.storageKey} = ${p.manifestKey})`,
        sql`not exists (select 1 from ${i} where ${i.state} in ('copying', 'switched') and (${i.destKey} = ${p.manifestKey} or ${i.sourceKey} = ${p.manifestKey}))`,
      ),
    )
    .limit(ORPHANS_PER_SWEEP);
  let removed = 0;
  let failure: unknown;
  for (const o of orphans) {
    try {
      // Drops the manifest, then deletes the bytes; bytes a failure leaves are strays (hosted) for the next sweep.
      await (await targets.recorded(o.customerId, o.providerId)).delete(o.key);
      removed++;
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
  return removed;
}
