import { objectMetadata, operationsLog, storageMigrationItems, storageMigrations } from "@s3gw/schema-regional";
import { TenantStorage } from "@s3gw/storage";
import { and, eq, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { OperationRow } from "../audit/audit.ts";
import { deliverAudit, finishSource } from "./storage-migration-object.ts";

/**
 * Finishes what an interrupted run left in its journal (a crash, a failed audit append, a
 * source that could not be deleted), for runs no worker is executing:
 *  - a switched object whose audit row is still in the outbox gets it appended (once: a row
 *    already in the operations log for the item is not appended again);
 *  - a switched object's source bytes are deleted;
 *  - a copy that never became the object's bytes is deleted.
 * Returns how many journal items it acted on.
 */
export async function recoverMigrationItems(deps: Deps): Promise<number> {
  const i = storageMigrationItems;
  const idle = await deps.db.select({ id: storageMigrations.migrationId }).from(storageMigrations).where(isNull(storageMigrations.active));
  if (idle.length === 0) return 0;
  const runs = inArray(i.migrationId, idle.map((r) => r.id));
  let acted = 0;

  const undelivered = await deps.db.select().from(i).where(and(runs, inArray(i.state, ["switched", "done"]), isNull(i.auditedAt), isNotNull(i.auditRow)));
  for (const item of undelivered) {
    const stored = item.auditRow as unknown as OperationRow & { createdAt: string };
    const [already] = await deps.db
      .select({ id: operationsLog.id })
      .from(operationsLog)
      .where(and(eq(operationsLog.requestId, stored.requestId), sql`${operationsLog.complianceInfo}->>'item_id' = ${item.id}`))
      .limit(1);
    if (already) await deps.db.update(i).set({ auditedAt: deps.clock.now() }).where(eq(i.id, item.id));
    else await deliverAudit(deps, item.id, { ...stored, createdAt: new Date(stored.createdAt) });
    acted++;
  }

  const unfinished = await deps.db.select().from(i).where(and(runs, or(eq(i.state, "switched"), eq(i.state, "copying"))));
  for (const item of unfinished) {
    if (item.state === "switched") {
      const [obj] = await deps.db.select({ legalHold: objectMetadata.legalHold }).from(objectMetadata).where(eq(objectMetadata.objectId, item.objectId)).limit(1);
      const source = new TenantStorage(await deps.targets.raw(item.fromTarget), item.customerId, deps.targets.manifests);
      await finishSource(deps, item.id, { legalHold: obj?.legalHold ?? false, storageKey: item.sourceKey }, source);
    } else {
      // Never switched: if the object points at the copy after all, it is not ours to delete.
      const [obj] = item.destKey ? await deps.db.select({ k: objectMetadata.storageKey }).from(objectMetadata).where(eq(objectMetadata.storageKey, item.destKey)).limit(1) : [];
      let left: string | null = null;
      if (item.destKey && !obj) {
        const dest = new TenantStorage(await deps.targets.raw(item.toTarget), item.customerId, deps.targets.manifests);
        await dest.delete(item.destKey).catch((err: unknown) => void (left = `copy could not be removed: ${(err as Error).message}`.slice(0, 300)));
      }
      await deps.db.update(i).set({ state: obj ? "done" : "abandoned", sourceLeft: left, updatedAt: deps.clock.now() }).where(eq(i.id, item.id));
    }
    acted++;
  }
  return acted;
}
