import { cryptoShredRequests } from "@s3gw/schema-regional";
import { and, eq, lte, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { createCheckpoint } from "../audit/audit-checkpoints.ts";
import { raiseComplianceEvent } from "../compliance/compliance-events.ts";
import { protectedObjects } from "./crypto-shred.ts";
import { destroyCustomerKeys, workerAuditRow } from "./key-destruction.ts";
import { forgetCustomerKeys } from "./key-store.ts";

const PRINCIPAL = "system:crypto-shred";
type Request = typeof cryptoShredRequests.$inferSelect;
type Outcome = { request: Request; status: "executed" | "refused"; detail: Record<string, unknown> };

/**
 * One due request, in one transaction holding its row: holds are checked again (one placed
 * since scheduling refuses it, recorded), else every key of the customer is destroyed.
 */
async function decide(deps: Pick<Deps, "db" | "clock">, requestId: string): Promise<Outcome | undefined> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [request] = await tx
      .select()
      .from(cryptoShredRequests)
      .where(and(eq(cryptoShredRequests.requestId, requestId), eq(cryptoShredRequests.status, "pending"), lte(cryptoShredRequests.executeAfter, now)))
      .for("update", { skipLocked: true });
    if (!request) return undefined; // cancelled, or another instance has it
    const held = await protectedObjects(tx, request.customerId, now);
    let outcome: Outcome;
    if (held > 0) {
      outcome = { request, status: "refused", detail: { refused: "legal hold or unexpired retention", protected_object_versions: held } };
    } else {
      const destroyed = await destroyCustomerKeys(tx, request.customerId, now);
      outcome = { request, status: "executed", detail: { keys_destroyed: destroyed.keys, versions_destroyed: destroyed.versions, key_ids: destroyed.keyIds } };
    }
    await tx.update(cryptoShredRequests).set({ status: outcome.status, executedAt: now, detail: outcome.detail }).where(eq(cryptoShredRequests.requestId, requestId));
    return outcome;
  });
}

/**
 * Runs every due crypto-shred request: the keys destroyed (or the refusal), then an audit row,
 * a signed audit checkpoint covering it, and a compliance event. Returns what it did.
 */
export async function executeDueCryptoShreds(deps: Deps): Promise<Outcome[]> {
  const now = deps.clock.now();
  const due = await deps.db
    .select({ id: cryptoShredRequests.requestId })
    .from(cryptoShredRequests)
    .where(and(eq(cryptoShredRequests.status, "pending"), lte(cryptoShredRequests.executeAfter, now)))
    .limit(20);
  const done: Outcome[] = [];
  for (const { id } of due) {
    const outcome = await decide(deps, id);
    if (!outcome) continue;
    const { request, status } = outcome;
    forgetCustomerKeys(deps.cache, request.customerId);
    const info = { request_id: request.requestId, reason: request.reason, requested_by: request.requestedBy, status, ...outcome.detail };
    await deps.audit.record(workerAuditRow(status === "executed" ? "ExecuteCryptoShred" : "RefuseCryptoShred", request.customerId, info, deps.clock.now(), PRINCIPAL));
    let checkpointId: number | null = null;
    if (status === "executed") {
      // After the audit row, so the signed head covers it. No signer configured: recorded, not fatal.
      try {
        checkpointId = (await createCheckpoint(deps, { trigger: "on_demand", principal: PRINCIPAL }))?.id ?? null;
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message, customerId: request.customerId }, "crypto-shred: no signed audit checkpoint");
      }
    }
    await raiseComplianceEvent(deps.db, deps.clock.now(), {
      customerId: request.customerId,
      eventType: status === "executed" ? "crypto_shred_executed" : "crypto_shred_refused",
      severity: status === "executed" ? "medium" : "high",
      description: status === "executed"
        ? `every key of customer ${request.customerId} was destroyed: its encrypted data is unreadable everywhere`
        : `crypto-shredding customer ${request.customerId} was refused: objects are under legal hold or retention`,
      details: { ...info, audit_checkpoint_id: checkpointId },
      dedupeKey: `crypto-shred:${request.requestId}`,
    });
    if (checkpointId !== null) {
      await deps.db
        .update(cryptoShredRequests)
        .set({ detail: sql`${cryptoShredRequests.detail} || ${JSON.stringify({ audit_checkpoint_id: checkpointId })}::jsonb` })
        .where(eq(cryptoShredRequests.requestId, request.requestId));
    }
    deps.logger.info({ customerId: request.customerId, requestId: request.requestId, status }, "crypto-shred request run");
    done.push({ ...outcome, detail: { ...outcome.detail, audit_checkpoint_id: checkpointId } });
  }
  return done;
}
