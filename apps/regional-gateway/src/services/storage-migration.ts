import { createHash, randomUUID } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { apiError, checkResidency } from "@s3gw/core";
import { objectMetadata } from "@s3gw/schema-regional";
import { and, asc, count, eq, gt } from "drizzle-orm";
import type { Deps } from "../env.ts";
import { findCustomer } from "./customers.ts";
import type { ObjectRow } from "./objects.ts";

export interface MigrationOptions {
  customerId: string;
  /** Storage target ids: the region's hosted provider id, or a customer target (`cust-…`). */
  from: string;
  to: string;
  dryRun: boolean;
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
}

export interface MigrationSummary {
  customer_id: string;
  from: string;
  to: string;
  dry_run: boolean;
  total: number;
  migrated: number;
  skipped: number;
  failed: number;
  bytes: number;
  failures: { bucket: string; key: string; error: string }[];
}

/**
 * Moves one customer's objects between storage targets. Each object is copied, its SHA-256
 * re-read from the destination and compared with the recorded value, and only then is its
 * metadata switched (only if the object did not change meanwhile); the old bytes go last.
 * Readers keep working throughout: they follow whichever location the row names. Objects
 * already on the destination are skipped, so an interrupted run is simply run again.
 */
export async function migrateCustomerStorage(deps: Deps, opts: MigrationOptions): Promise<MigrationSummary> {
  const customer = await findCustomer(deps.db, opts.customerId);
  if (!customer) throw apiError.notFound(`customer ${opts.customerId} is not registered in this region`);
  if (opts.from === opts.to) throw apiError.badRequest("--from and --to name the same target");
  const source = await deps.targets.recorded(customer.customerId, opts.from);
  const destProvider = await deps.targets.provider(opts.to);
  const destination = await deps.targets.recorded(customer.customerId, opts.to);
  const residency = checkResidency(
    { customerId: customer.customerId, homeRegionId: customer.regionId, country: customer.country, requirement: customer.dataResidencyRequirement },
    destProvider.location,
  );
  if (!residency.allowed) throw apiError.badRequest(`destination refused: ${residency.reason}`);

  const mine = eq(objectMetadata.customerId, customer.customerId);
  const [{ n: pending } = { n: 0 }] = await deps.db.select({ n: count() }).from(objectMetadata).where(and(mine, eq(objectMetadata.storageProviderId, opts.from)));
  const [{ n: already } = { n: 0 }] = await deps.db.select({ n: count() }).from(objectMetadata).where(and(mine, eq(objectMetadata.storageProviderId, opts.to)));
  const summary: MigrationSummary = { customer_id: customer.customerId, from: opts.from, to: opts.to, dry_run: opts.dryRun, total: pending + already, migrated: 0, skipped: already, failed: 0, bytes: 0, failures: [] };
  const runId = randomUUID();
  let after: string | undefined;
  let done = already;
  for (;;) {
    const page: ObjectRow[] = await deps.db
      .select()
      .from(objectMetadata)
      .where(and(mine, eq(objectMetadata.storageProviderId, opts.from), after ? gt(objectMetadata.objectId, after) : undefined))
      .orderBy(asc(objectMetadata.objectId))
      .limit(opts.batchSize);
    if (page.length === 0) break;
    after = page.at(-1)!.objectId;
    for (const row of page) {
      if (opts.dryRun) {
        summary.migrated++;
        summary.bytes += row.sizeBytes;
      } else {
        const outcome = await moveOne(deps, row, source, destination, opts.to, destProvider.location.country, runId);
        if (outcome === "moved") {
          summary.migrated++;
          summary.bytes += row.sizeBytes;
        } else if (outcome === "changed") summary.skipped++;
        else {
          summary.failed++;
          summary.failures.push({ bucket: row.bucketName, key: row.objectKey, error: outcome.error });
        }
      }
      opts.onProgress?.(++done, summary.total);
    }
  }
  return summary;
}

type Tenant = Awaited<ReturnType<Deps["targets"]["recorded"]>>;

async function moveOne(deps: Deps, row: ObjectRow, source: Tenant, destination: Tenant, to: string, destCountry: string, runId: string): Promise<"moved" | "changed" | { error: string }> {
  let newKey: string | undefined;
  try {
    const blob = await destination.put(await source.get(row.storageKey), { expectedSize: row.sizeBytes });
    newKey = blob.storageKey;
    // Verified on the target itself, not on the bytes we sent.
    const stored = createHash("sha256");
    await pipeline(await destination.get(newKey), stored);
    const digest = stored.digest("hex");
    if (digest !== row.sha256) throw new Error(`SHA-256 on the destination is ${digest}, expected ${row.sha256}`);
    const switched = await deps.db
      .update(objectMetadata)
      .set({ storageProviderId: to, storageKey: newKey, storageCountry: destCountry })
      .where(and(eq(objectMetadata.objectId, row.objectId), eq(objectMetadata.storageKey, row.storageKey), eq(objectMetadata.storageProviderId, row.storageProviderId)))
      .returning({ id: objectMetadata.objectId });
    if (switched.length === 0) {
      await destination.delete(newKey).catch(() => {});
      return "changed"; // overwritten or deleted meanwhile: the new version was written where the customer's policy said
    }
    await source.delete(row.storageKey).catch(() => {}); // a failure leaves a stray for the sweeper
    await audit(deps, row, to, runId, "success", { from: row.storageProviderId, to, sha256: row.sha256 });
    return "moved";
  } catch (err) {
    if (newKey) await destination.delete(newKey).catch(() => {});
    const error = (err as Error).message.slice(0, 300);
    await audit(deps, row, to, runId, "error", { from: row.storageProviderId, to, error }).catch(() => {});
    return { error };
  }
}

function audit(deps: Deps, row: ObjectRow, to: string, runId: string, result: "success" | "error", info: Record<string, unknown>) {
  return deps.audit.record({
    requestId: `migration-${runId}`,
    customerId: row.customerId,
    operationType: "StorageMigration",
    bucketName: row.bucketName,
    objectKey: row.objectKey,
    result,
    statusCode: result === "success" ? 200 : 500,
    errorCode: result === "success" ? null : "MigrationFailed",
    bytesTransferred: result === "success" ? row.sizeBytes : 0,
    sourceIp: null,
    sourceCountry: null,
    crossBorderTransfer: false,
    complianceInfo: { ...info, target: to },
    durationMs: 0,
    principal: "storage-migration",
    createdAt: deps.clock.now(),
  });
}
