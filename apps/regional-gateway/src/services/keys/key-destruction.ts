import { randomUUID } from "node:crypto";
import { customerKeys, customerKeyVersions } from "@s3gw/schema-regional";
import { and, eq, inArray, lte, ne } from "drizzle-orm";
import type { Deps, RegionalTx as Tx } from "../../env.ts";
import type { OperationRow } from "../audit/audit.ts";
import { forgetCustomerKeys } from "./key-store.ts";

export const KEY_WORKER_PRINCIPAL = "system:key-maintenance";

/** An operations-log row for what a worker (no request) did to a customer's keys. */
export function workerAuditRow(operation: string, customerId: string, info: Record<string, unknown>, now: Date, principal = KEY_WORKER_PRINCIPAL): OperationRow {
  return {
    requestId: `keys-${randomUUID()}`, customerId, operationType: operation, bucketName: null, objectKey: null,
    result: "success", statusCode: 200, errorCode: null, bytesTransferred: 0, sourceIp: null, sourceCountry: null, crossBorderTransfer: false,
    complianceInfo: info, durationMs: 0, principal, createdAt: now,
  };
}

/**
 * Destroys keys for good: state Destroyed and every version's sealed material nulled, in the
 * caller's transaction. Nothing can unwrap their data keys afterwards, in any copy of the data.
 */
export async function destroyKeys(tx: Tx, customerId: string, keyIds: string[], now: Date): Promise<{ keys: number; versions: number }> {
  if (keyIds.length === 0) return { keys: 0, versions: 0 };
  const keys = await tx
    .update(customerKeys)
    .set({ state: "Destroyed", deletionDate: null, updatedAt: now })
    .where(and(eq(customerKeys.customerId, customerId), inArray(customerKeys.keyId, keyIds)))
    .returning({ id: customerKeys.keyId });
  const versions = await tx
    .update(customerKeyVersions)
    .set({ material: null, destroyedAt: now })
    .where(and(eq(customerKeyVersions.customerId, customerId), inArray(customerKeyVersions.keyId, keyIds)))
    .returning({ v: customerKeyVersions.version });
  return { keys: keys.length, versions: versions.length };
}

/** Every key of the customer not yet destroyed (crypto-shredding). */
export async function destroyCustomerKeys(tx: Tx, customerId: string, now: Date) {
  const rows = await tx
    .select({ id: customerKeys.keyId })
    .from(customerKeys)
    .where(and(eq(customerKeys.customerId, customerId), ne(customerKeys.state, "Destroyed")))
    .for("update");
  const ids = rows.map((r) => r.id);
  return { keyIds: ids, ...(await destroyKeys(tx, customerId, ids, now)) };
}

/** Keys whose deletion waiting period is over become Destroyed, each audited. */
export async function destroyDueKeys(deps: Pick<Deps, "db" | "clock" | "cache" | "audit" | "logger">): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.db
    .select({ keyId: customerKeys.keyId, customerId: customerKeys.customerId, deletionDate: customerKeys.deletionDate })
    .from(customerKeys)
    .where(and(eq(customerKeys.state, "PendingDeletion"), lte(customerKeys.deletionDate, now)))
    .limit(100);
  let destroyed = 0;
  for (const k of due) {
    const done = await deps.db.transaction(async (tx) => {
      // Cancelled meanwhile: the state no longer matches and nothing is destroyed.
      const [still] = await tx
        .select({ id: customerKeys.keyId })
        .from(customerKeys)
        .where(and(eq(customerKeys.keyId, k.keyId), eq(customerKeys.state, "PendingDeletion"), lte(customerKeys.deletionDate, now)))
        .for("update");
      return still ? destroyKeys(tx, k.customerId, [k.keyId], now) : undefined;
    });
    forgetCustomerKeys(deps.cache, k.customerId);
    if (!done) continue;
    destroyed++;
    deps.logger.info({ customerId: k.customerId, keyId: k.keyId }, "customer key destroyed after its deletion waiting period");
    await deps.audit.record(workerAuditRow("DestroyCustomerKey", k.customerId, { key_id: k.keyId, versions_destroyed: done.versions, deletion_date: k.deletionDate?.toISOString() ?? null }, now));
  }
  return destroyed;
}
