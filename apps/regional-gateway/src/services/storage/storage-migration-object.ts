import { objectMetadata, storageMigrationItems } from "@s3gw/schema-regional";
import { isCompositeKey, S3Provider, type TenantStorage } from "@s3gw/storage";
import { and, eq, isNull } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { OperationRow } from "../audit/audit.ts";
import type { ObjectRow } from "../objects/objects.ts";
import { copyBlob, copyParts } from "./storage-migration-copy.ts";

/** One run's fixed facts, shared by every object it moves. */
export interface MoveContext {
  migrationId: string;
  toTarget: string;
  destCountry: string;
  /** Hosted storage: the gateway itself enforces holds and retention from the metadata row. */
  destIsHosted: boolean;
  /** Whether the destination bucket enforces object lock itself (probed once per run). */
  destLocks: () => Promise<boolean>;
  requestedBy: string;
  override: { by: string; reason: string } | undefined;
}

/** A switched object whose source bytes are deleted once readers that resolved the old location are done. */
export interface PendingSource { itemId: string; row: ObjectRow; source: TenantStorage; switchedAt: number }

export type MoveOutcome = { kind: "migrated"; bytes: number; pending: PendingSource } | { kind: "skipped"; reason: string } | { kind: "failed"; reason: string };

type Protection = "none" | "gateway" | "bucket" | "override";

/** What protects the object now: a legal hold, or retention that has not run out. */
export function protectionOf(row: ObjectRow, now: Date): string | undefined {
  const retained = row.retentionUntil && row.retentionUntil > now ? `${row.retentionMode ?? "GOVERNANCE"} retention until ${row.retentionUntil.toISOString()}` : undefined;
  const parts = [row.legalHold ? "a legal hold" : undefined, retained].filter(Boolean);
  return parts.length ? parts.join(" and ") : undefined;
}

/**
 * Moves one object, in the only order that loses nothing whenever it stops:
 *   1. journal the copy (so a crash leaves a record of the bytes to remove);
 *   2. copy, and verify the SHA-256 read back from the destination (a multipart object part by
 *      part, each part journalled in the copy's manifest as it lands, see copyParts);
 *   3. put the object's protection on the copy (when the bucket enforces it);
 *   4. one transaction: point the metadata at the copy (only if the object, its hold and its
 *      retention did not change meanwhile) and mark the journal item `switched` with its audit
 *      row: the outbox, appended to the operations log right after and on any restart;
 *   5. delete the source, by the caller, a grace period later (finishSource): a GET that read
 *      the metadata just before the switch is still opening the old bytes.
 * `source` and `dest` are built on the raw providers (object lock is beyond StorageProvider).
 */
export async function moveObject(deps: Deps, ctx: MoveContext, row: ObjectRow, source: TenantStorage, dest: TenantStorage): Promise<MoveOutcome> {
  const now = deps.clock.now();
  const protectedBy = protectionOf(row, now);
  let protection: Protection = "none";
  if (protectedBy) {
    if (ctx.destIsHosted) protection = "gateway";
    else if (await ctx.destLocks()) protection = "bucket";
    else if (ctx.override) protection = "override";
    else return { kind: "skipped", reason: `protected by ${protectedBy}, and target ${ctx.toTarget} does not enforce object lock; an admin may override with a recorded reason` };
  }

  const [item] = await deps.db
    .insert(storageMigrationItems)
    .values({ migrationId: ctx.migrationId, objectId: row.objectId, customerId: row.customerId, fromTarget: row.storageProviderId, toTarget: ctx.toTarget, sourceKey: row.storageKey, state: "copying", createdAt: now, updatedAt: now })
    .returning({ id: storageMigrationItems.id });
  const itemId = item!.id;
  let destKey: string | undefined;
  let locked = false;
  try {
    if (isCompositeKey(row.storageKey)) {
      destKey = dest.newCompositeKey();
      await deps.db.update(storageMigrationItems).set({ destKey, updatedAt: deps.clock.now() }).where(eq(storageMigrationItems.id, itemId));
      await copyParts(deps, ctx, row, source, dest, destKey);
    } else {
      const recorded = { storageKey: row.storageKey, size: row.sizeBytes, sha256: row.sha256, encryption: row.encryption };
      destKey = await copyBlob(deps, row.customerId, source, dest, recorded, async (key) => {
        destKey = key;
        await deps.db.update(storageMigrationItems).set({ destKey, updatedAt: deps.clock.now() }).where(eq(storageMigrationItems.id, itemId));
      });
    }
    if (protection === "bucket") {
      const lock = dest.provider;
      if (!(lock instanceof S3Provider)) throw new Error("destination lost its object lock support");
      // Hold first: if retention then fails, the hold can still be lifted and the copy removed. A multipart copy's every part.
      const blobs = await dest.blobKeys(destKey);
      if (row.legalHold) for (const k of blobs) await lock.setLegalHold(k, true);
      locked = row.legalHold;
      if (row.retentionUntil && row.retentionUntil > now) for (const k of blobs) await lock.setRetention(k, row.retentionMode ?? "GOVERNANCE", row.retentionUntil);
    }
  } catch (err) {
    const reason = (err as Error).message.slice(0, 300);
    await discardCopy(deps, itemId, dest, destKey, locked);
    // Overwritten or deleted while copied (its old bytes went with it): not a failure, the object simply moved on.
    const [now] = await deps.db.select({ k: objectMetadata.storageKey }).from(objectMetadata).where(eq(objectMetadata.objectId, row.objectId)).limit(1);
    if (now?.k !== row.storageKey) return { kind: "skipped", reason: "changed while it was copied (overwritten or deleted); run again to move it" };
    await deps.audit.record(auditRow(deps, ctx, row, { result: "error", reason, protection, itemId })).catch(() => {});
    return { kind: "failed", reason };
  }

  const audit = auditRow(deps, ctx, row, { result: "success", protection, itemId });
  const switched = await deps.db.transaction(async (tx) => {
    const moved = await tx
      .update(objectMetadata)
      .set({ storageProviderId: ctx.toTarget, storageKey: destKey!, storageCountry: ctx.destCountry })
      .where(
        and(
          eq(objectMetadata.objectId, row.objectId),
          eq(objectMetadata.storageKey, row.storageKey),
          eq(objectMetadata.storageProviderId, row.storageProviderId),
          // A hold or retention placed meanwhile is not on the copy: the next run moves it properly.
          eq(objectMetadata.legalHold, row.legalHold),
          row.retentionUntil ? eq(objectMetadata.retentionUntil, row.retentionUntil) : isNull(objectMetadata.retentionUntil),
        ),
      )
      .returning({ id: objectMetadata.objectId });
    if (moved.length === 0) return false;
    await tx
      .update(storageMigrationItems)
      .set({ state: "switched", auditRow: { ...audit, createdAt: audit.createdAt.toISOString() }, updatedAt: deps.clock.now() })
      .where(eq(storageMigrationItems.id, itemId));
    return true;
  });
  if (!switched) {
    await discardCopy(deps, itemId, dest, destKey, locked);
    return { kind: "skipped", reason: "changed while it was copied (overwritten, deleted, or its hold or retention changed); run again to move it" };
  }
  await deliverAudit(deps, itemId, audit).catch((err: unknown) => {
    const e = err as { message?: string; cause?: { message?: string } };
    throw new Error(`the switch is committed but its audit row could not be appended yet; it stays in the outbox: ${e.cause?.message ?? e.message}`);
  });
  return { kind: "migrated", bytes: row.sizeBytes, pending: { itemId, row, source, switchedAt: Date.now() } };
}

/** The outbox row of a switch, appended to the operations log; marked delivered once committed there. */
export async function deliverAudit(deps: Deps, itemId: string, row: OperationRow): Promise<void> {
  await deps.audit.record(row);
  await deps.db.update(storageMigrationItems).set({ auditedAt: deps.clock.now(), updatedAt: deps.clock.now() }).where(eq(storageMigrationItems.id, itemId));
}

/** Removes the bytes the object no longer uses. A held source copy is released first; a retained one cannot go and is recorded. */
export async function finishSource(deps: Deps, itemId: string, row: Pick<ObjectRow, "legalHold" | "storageKey">, source: TenantStorage): Promise<void> {
  let sourceLeft: string | null = null;
  try {
    if (row.legalHold && source.provider instanceof S3Provider) {
      const lock = source.provider;
      for (const k of await source.blobKeys(row.storageKey).catch(() => [])) await lock.setLegalHold(k, false).catch(() => {});
    }
    await source.delete(row.storageKey);
  } catch (err) {
    // Left for the operator (a copy under the bucket's own retention) or the stray sweeper (hosted).
    sourceLeft = (err as Error).message.slice(0, 300);
  }
  await deps.db.update(storageMigrationItems).set({ state: "done", sourceLeft, updatedAt: deps.clock.now() }).where(eq(storageMigrationItems.id, itemId));
}

async function discardCopy(deps: Deps, itemId: string, dest: TenantStorage, destKey: string | undefined, locked: boolean): Promise<void> {
  let left: string | null = null;
  if (destKey) {
    try {
      if (locked && dest.provider instanceof S3Provider) {
        const lock = dest.provider;
        for (const k of await dest.blobKeys(destKey)) await lock.setLegalHold(k, false);
      }
      await dest.delete(destKey);
    } catch (err) {
      left = `copy could not be removed: ${(err as Error).message}`.slice(0, 300);
    }
  }
  await deps.db.update(storageMigrationItems).set({ state: "abandoned", sourceLeft: left, updatedAt: deps.clock.now() }).where(eq(storageMigrationItems.id, itemId));
}

function auditRow(deps: Deps, ctx: MoveContext, row: ObjectRow, o: { result: "success" | "error"; protection: Protection; itemId: string; reason?: string }): OperationRow {
  return {
    requestId: `migration-${ctx.migrationId}`,
    customerId: row.customerId,
    operationType: "StorageMigration",
    bucketName: row.bucketName,
    objectKey: row.objectKey,
    result: o.result,
    statusCode: o.result === "success" ? 200 : 500,
    errorCode: o.result === "success" ? null : "MigrationFailed",
    bytesTransferred: o.result === "success" ? row.sizeBytes : 0,
    sourceIp: null,
    sourceCountry: null,
    crossBorderTransfer: false,
    complianceInfo: {
      migration_id: ctx.migrationId,
      item_id: o.itemId,
      object_id: row.objectId,
      from: row.storageProviderId,
      to: ctx.toTarget,
      sha256: row.sha256,
      protection: o.protection,
      ...(o.protection === "override" && ctx.override ? { protection_override: { by: ctx.override.by, reason: ctx.override.reason } } : {}),
      ...(o.reason ? { error: o.reason } : {}),
    },
    durationMs: 0,
    principal: ctx.requestedBy,
    createdAt: deps.clock.now(),
  };
}
