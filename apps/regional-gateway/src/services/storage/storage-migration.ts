import { apiError, checkResidency } from "@s3gw/core";
import { objectMetadata, storageMigrations, storageTargets } from "@s3gw/schema-regional";
import { S3Provider, TenantStorage, tenantPrefix } from "@s3gw/storage";
import { and, asc, count, eq, gt, ne, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { findCustomer, type Customer } from "../access/customers.ts";
import type { ObjectRow } from "../objects/objects.ts";
import { finishSource, moveObject, type MoveContext, type PendingSource } from "./storage-migration-object.ts";

const TARGET_ID = z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/);

export const startMigrationSchema = z.strictObject({
  customer_id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/).optional(),
  from_target: TARGET_ID.optional(),
  to_target: TARGET_ID,
  dry_run: z.boolean().optional(),
  batch_size: z.number().int().min(1).max(1000).optional(),
  /** Moves protected objects onto a target without object lock; admin only, recorded with the run and in each object's audit row. */
  protection_override: z.strictObject({ reason: z.string().trim().min(10).max(500) }).optional(),
});
export type StartMigration = z.infer<typeof startMigrationSchema>;
export type MigrationRow = typeof storageMigrations.$inferSelect;

const MAX_ISSUES = 100;
/** How long old bytes outlive the switch: longer than a GET takes from reading metadata to opening the blob. */
export const SOURCE_GRACE_MS = 2_000;

/** Checks a request against what exists, and fills in the customer a customer target implies. */
export async function planMigration(deps: Deps, input: StartMigration): Promise<{ customerId: string | null }> {
  if (input.from_target !== undefined && input.from_target === input.to_target) throw apiError.badRequest("from_target and to_target name the same target");
  if (input.customer_id !== undefined && !(await findCustomer(deps.db, input.customer_id))) throw apiError.notFound(`customer ${input.customer_id} is not registered in this region`);
  const hosted = deps.storage.location.providerId;
  const owner = async (targetId: string, field: string) => {
    if (targetId === hosted) return undefined;
    const [t] = await deps.db.select({ customerId: storageTargets.customerId }).from(storageTargets).where(eq(storageTargets.targetId, targetId)).limit(1);
    if (!t) throw apiError.badRequest(`${field} ${targetId} is neither this region's hosted storage (${hosted}) nor a known customer bucket target`);
    return t.customerId;
  };
  const owners = [await owner(input.to_target, "to_target"), input.from_target ? await owner(input.from_target, "from_target") : undefined].filter((o): o is string => o !== undefined);
  const customerId = input.customer_id ?? owners[0] ?? null;
  // A customer's bucket holds that customer's objects only.
  if (owners.some((o) => o !== customerId)) throw apiError.badRequest("a customer bucket target holds only its own customer's objects: customer_id and the targets' customers differ");
  if (customerId !== null) {
    const customer = await findCustomer(deps.db, customerId);
    if (!customer) throw apiError.notFound(`customer ${customerId} is not registered in this region`);
    const destination = await deps.targets.provider(input.to_target);
    const residency = checkResidency(residencySubject(customer), destination.location);
    if (!residency.allowed) throw apiError.badRequest(`destination refused: ${residency.reason}`);
  }
  return { customerId };
}

/** Executes a run row until done or `shouldStop` says so (checked between objects, never inside one). */
export async function executeMigration(deps: Deps, run: MigrationRow, shouldStop: () => Promise<boolean>): Promise<"completed" | "stopped"> {
  const destProvider = await deps.targets.raw(run.toTarget);
  const dest = (customerId: string) => new TenantStorage(destProvider, customerId, deps.targets.manifests);
  let locks: Promise<boolean> | undefined;
  const ctx: MoveContext = {
    migrationId: run.migrationId,
    toTarget: run.toTarget,
    destCountry: destProvider.location.country,
    destIsHosted: run.toTarget === deps.storage.location.providerId,
    // Probed once, with the first protected object's customer prefix.
    destLocks: () => (locks ??= destProvider instanceof S3Provider ? destProvider.supportsObjectLock(tenantPrefix(run.customerId ?? "s3gw-probe")) : Promise.resolve(false)),
    requestedBy: run.requestedBy,
    override: run.protectionOverrideBy && run.protectionOverrideReason ? { by: run.protectionOverrideBy, reason: run.protectionOverrideReason } : undefined,
  };
  const customers = new Map<string, Customer | undefined>();
  const o = objectMetadata;
  const scope: SQL[] = [run.fromTarget ? eq(o.storageProviderId, run.fromTarget) : ne(o.storageProviderId, run.toTarget)];
  if (run.customerId) scope.push(eq(o.customerId, run.customerId));
  const [{ n } = { n: 0 }] = await deps.db.select({ n: count() }).from(o).where(and(...scope));
  const tally = { total: n, processed: 0, migrated: 0, skipped: 0, failed: 0, bytes: 0, issues: [] as MigrationRow["issues"] };
  await deps.db.update(storageMigrations).set({ total: n, heartbeatAt: deps.clock.now() }).where(eq(storageMigrations.migrationId, run.migrationId));

  const pending: PendingSource[] = [];
  const release = async (all: boolean) => {
    if (all && pending.length) await new Promise((r) => setTimeout(r, Math.max(0, pending.at(-1)!.switchedAt + SOURCE_GRACE_MS - Date.now())));
    while (pending.length && (all || Date.now() - pending[0]!.switchedAt >= SOURCE_GRACE_MS)) {
      const p = pending.shift()!;
      await finishSource(deps, p.itemId, p.row, p.source);
    }
  };
  try {
    return await loop();
  } finally {
    // Stopping or failing, every switched object's source still goes (the journal covers a crash).
    await release(true);
  }

  async function loop(): Promise<"completed" | "stopped"> {
    let after: string | undefined;
    for (;;) {
      const page: ObjectRow[] = await deps.db.select().from(o).where(and(...scope, after ? gt(o.objectId, after) : undefined)).orderBy(asc(o.objectId)).limit(run.batchSize);
      if (page.length === 0) return "completed";
      after = page.at(-1)!.objectId;
      for (const row of page) {
        await release(false);
        if (await shouldStop()) return "stopped";
        if (!customers.has(row.customerId)) customers.set(row.customerId, await findCustomer(deps.db, row.customerId));
        const customer = customers.get(row.customerId);
        const residency = customer ? checkResidency(residencySubject(customer), destProvider.location) : { allowed: false as const, reason: "customer not registered" };
        const outcome = !residency.allowed
          ? { kind: "skipped" as const, reason: `destination refused: ${residency.reason}` }
          : run.dryRun
            ? { kind: "migrated" as const, bytes: row.sizeBytes }
            : await moveObject(deps, ctx, row, new TenantStorage(await deps.targets.raw(row.storageProviderId), row.customerId, deps.targets.manifests), dest(row.customerId));
        tally.processed++;
        if (outcome.kind === "migrated") {
          if ("pending" in outcome) pending.push(outcome.pending);
          tally.migrated++;
          tally.bytes += outcome.bytes;
        } else {
          tally[outcome.kind]++;
          if (tally.issues.length < MAX_ISSUES) tally.issues.push({ bucket: row.bucketName, key: row.objectKey, outcome: outcome.kind, reason: outcome.reason });
        }
        await deps.db.update(storageMigrations).set({ ...tally, heartbeatAt: deps.clock.now() }).where(eq(storageMigrations.migrationId, run.migrationId));
      }
    }
  }
}

function residencySubject(c: Customer) {
  return { customerId: c.customerId, homeRegionId: c.regionId, country: c.country, requirement: c.dataResidencyRequirement };
}

/** A run as the API shows it. */
export function migrationView(r: MigrationRow) {
  return {
    migration_id: r.migrationId,
    customer_id: r.customerId,
    from_target: r.fromTarget,
    to_target: r.toTarget,
    dry_run: r.dryRun,
    status: r.status,
    total: r.total,
    processed: r.processed,
    migrated: r.migrated,
    skipped: r.skipped,
    failed: r.failed,
    bytes: r.bytes,
    issues: r.issues,
    error: r.error,
    requested_by: r.requestedBy,
    protection_override: r.protectionOverrideBy ? { by: r.protectionOverrideBy, reason: r.protectionOverrideReason } : null,
    cancel_requested_at: r.cancelRequestedAt?.toISOString() ?? null,
    cancel_requested_by: r.cancelRequestedBy,
    created_at: r.createdAt.toISOString(),
    heartbeat_at: r.heartbeatAt?.toISOString() ?? null,
    finished_at: r.finishedAt?.toISOString() ?? null,
  };
}
