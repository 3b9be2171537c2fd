import { startPeriodic } from "../ops/periodic.ts";
import { apiError, s3Error, type MasterKeyRing } from "@s3gw/core";
import { customerStorage, objectMetadata, storageTargets } from "@s3gw/schema-regional";
import { S3Provider } from "@s3gw/storage";
import { and, count, eq, sum } from "drizzle-orm";
import type { RegionalConfig } from "../../config.ts";
import type { Deps, RegionalDb } from "../../env.ts";
import { probeStorage, type ProbeResult } from "./customer-storage-probe.ts";
import type { TargetRow, WriteTargetPolicy } from "./storage-targets.ts";
import { insertComplianceEvent } from "../events/outbox.ts";
import type { WorkerLease } from "../events/dispatch/lease.ts";

export type StorageConfigRow = typeof customerStorage.$inferSelect;
export interface CurrentStorage { config: StorageConfigRow; target: TargetRow }

/** Each probe step gets this long; a probe as a whole stays well under a client's patience. */
export const PROBE_STEP_MS = 5_000;

/** An HMAC of the secret under a region key (see customer-storage-fingerprint.ts): tells two secrets apart, proves nothing to a guesser. */
export function secretFingerprint(config: RegionalConfig, secret: string): string {
  if (!config.fingerprintKeys) throw apiError.unavailable("customer storage is unavailable: this region has no master key configured (MASTER_KEYS, MASTER_KEY_ID)");
  return config.fingerprintKeys.fingerprint(secret);
}

/**
 * The stored fingerprint, recomputed (and stored again) when it is a legacy bare hash or was
 * keyed with a key this region no longer has. Needs the secret, so only here, in memory.
 */
async function currentFingerprint(deps: Pick<Deps, "db" | "config">, t: TargetRow): Promise<string> {
  const keys = deps.config.fingerprintKeys;
  if (!keys || keys.isCurrent(t.secretFingerprint)) return t.secretFingerprint;
  let secret: string;
  try {
    secret = masterKeys(deps.config).open(t.secretCiphertext, t.targetId);
  } catch {
    return "unavailable"; // sealed under a master key no longer configured: nothing to fingerprint
  }
  const fresh = keys.fingerprint(secret);
  await deps.db.update(storageTargets).set({ secretFingerprint: fresh }).where(and(eq(storageTargets.targetId, t.targetId), eq(storageTargets.secretFingerprint, t.secretFingerprint)));
  return fresh;
}

/** Sealed secrets are bound to their target row, and the session token apart from the secret. */
export const sessionTokenContext = (targetId: string): string => `${targetId}:session_token`;

export function masterKeys(config: RegionalConfig): MasterKeyRing {
  if (!config.masterKeys) throw apiError.unavailable("customer storage is unavailable: this region has no master key configured (MASTER_KEYS, MASTER_KEY_ID)");
  return config.masterKeys;
}

/**
 * The provider for a customer bucket, its credentials opened only here, in memory. Probes use
 * short timeouts and few retries; the write path uses the region's S3 request bounds.
 */
export function customerBucketProvider(config: RegionalConfig, row: TargetRow, tuning: { requestTimeoutMs?: number; maxAttempts?: number } = {}): S3Provider {
  const ring = masterKeys(config);
  const sessionToken = row.sessionTokenCiphertext ? ring.open(row.sessionTokenCiphertext, sessionTokenContext(row.targetId)) : undefined;
  return new S3Provider({
    location: { providerId: row.targetId, regionId: config.region.region_id, country: row.country },
    ...(row.endpoint ? { endpoint: row.endpoint } : {}),
    region: row.region,
    bucket: row.bucket,
    ...(row.pathPrefix ? { pathPrefix: row.pathPrefix } : {}),
    ...(row.bucketSse ? { sse: { mode: row.bucketSse } } : {}),
    gatewayEncryption: row.gatewayEncryption,
    credentials: { accessKeyId: row.accessKeyId, secretAccessKey: ring.open(row.secretCiphertext, row.targetId), ...(sessionToken ? { sessionToken } : {}) },
    ...(config.s3Requests ? { requestTimeoutMs: config.s3Requests.timeoutMs, maxAttempts: config.s3Requests.maxAttempts } : {}),
    ...tuning,
  });
}

export async function currentStorage(db: RegionalDb, customerId: string): Promise<CurrentStorage | undefined> {
  const [row] = await db
    .select({ config: customerStorage, target: storageTargets })
    .from(customerStorage)
    .innerJoin(storageTargets, eq(storageTargets.targetId, customerStorage.targetId))
    .where(eq(customerStorage.customerId, customerId))
    .limit(1);
  return row;
}

/**
 * Where a customer's new writes go. A configured bucket that is not known to work is never
 * silently replaced by hosted storage: only `allow_hosted_fallback` permits that. An admin's
 * activation override stands in for a passing probe until a probe has actually run.
 */
export function writeDecision(config: StorageConfigRow | undefined, hostedId: string): { targetId: string } | { refused: string } {
  if (!config?.enabled) return { targetId: hostedId };
  if (config.status === "healthy" || (config.status === "unvalidated" && config.activationOverrideBy)) return { targetId: config.targetId };
  if (config.allowHostedFallback) return { targetId: hostedId };
  const why = config.status === "unvalidated" ? "has not passed validation" : `is unhealthy (last error: ${config.lastErrorClass ?? "unknown"})`;
  return { refused: `the customer's own storage bucket (${config.targetId}) ${why}; new writes are refused rather than stored elsewhere: validate the bucket, disable customer storage, or allow hosted fallback` };
}

/**
 * Every new write asks this, so it is cached per customer (most have none: hosted storage),
 * kept current by migration 0009's notifications and by forgetStorageConfig() for changes made
 * through this instance.
 */
export function customerStorageWritePolicy(deps: Pick<Deps, "db" | "storage" | "cache">): WriteTargetPolicy {
  const load = async (customerId: string) => {
    const [config] = await deps.db.select().from(customerStorage).where(eq(customerStorage.customerId, customerId)).limit(1);
    return config ? { config } : {};
  };
  return async (customerId) => {
    const { config } = (await deps.cache.storageConfigs.get(customerId, () => load(customerId)))!;
    const decision = writeDecision(config, deps.storage.location.providerId);
    if ("refused" in decision) throw s3Error("CustomerStorageUnavailable", decision.refused);
    return decision.targetId;
  };
}

/** Probes a target with a throw-away provider, so a probe never disturbs the cached one the write path uses. */
export async function runProbe(config: RegionalConfig, target: TargetRow): Promise<ProbeResult> {
  let provider: S3Provider;
  try {
    provider = customerBucketProvider(config, target, { requestTimeoutMs: PROBE_STEP_MS, maxAttempts: 2 });
  } catch (err) {
    const detail = `cannot build a client for this bucket: ${(err as Error).message}`.slice(0, 300);
    return { ok: false, checks: [{ name: "bucket_exists", ok: false, detail }], errorClass: "unknown", error: detail };
  }
  try {
    return await probeStorage(provider, { customerId: target.customerId, pathPrefix: target.pathPrefix }, PROBE_STEP_MS);
  } finally {
    provider.destroy();
  }
}

/** A change to a customer's storage configuration made through this instance takes effect at once. */
export function forgetStorageConfig(deps: Pick<Deps, "cache">, customerId: string): void {
  deps.cache.storageConfigs.invalidate(customerId);
}

/** Stores a probe's outcome on the configuration, unless the configuration moved to another target meanwhile. */
export async function recordProbe(deps: Pick<Deps, "db" | "clock" | "cache">, customerId: string, targetId: string, result: ProbeResult): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const which = and(eq(customerStorage.customerId, customerId), eq(customerStorage.targetId, targetId));
    const [before] = await tx.select({ status: customerStorage.status }).from(customerStorage).where(which).for("update");
    await tx
      .update(customerStorage)
      .set({
        status: result.ok ? "healthy" : "unhealthy",
        lastErrorClass: result.ok ? null : (result.errorClass ?? "unknown"),
        lastError: result.ok ? null : (result.error ?? null),
        lastCheckedAt: now,
        ...(result.ok ? { lastSuccessAt: now } : {}),
        updatedAt: now,
      })
      .where(which);
    // A change of state is published with it: a bucket that failed its probe, or one that passes again.
    const recovered = result.ok && before?.status === "unhealthy";
    const failed = !result.ok && before?.status === "healthy";
    if (recovered || failed) {
      await insertComplianceEvent(tx, {
        customerId,
        kind: recovered ? "customer_storage.recovered" : "customer_storage.unhealthy",
        now,
        payload: {
          severity: recovered ? "low" : "high",
          description: recovered ? `The customer's own storage bucket (${targetId}) passes its probe again` : `The customer's own storage bucket (${targetId}) failed its probe (${result.errorClass ?? "unknown"})`,
          data: { target_id: targetId, found_by: "probe", ...(result.errorClass ? { error_class: result.errorClass } : {}) },
          ...(failed ? { recommended_action: "Check the bucket, its credentials and its policy (GET /api/customers/:id/storage shows the failed check); new writes go to the fallback or are refused until it passes" } : {}),
        },
      });
    }
  });
  forgetStorageConfig(deps, customerId);
}

export const probeView = (r: ProbeResult) => ({ ok: r.ok, checks: r.checks, ...(r.errorClass ? { error_class: r.errorClass } : {}) });

/** The configuration as anyone may see it: secrets only as a fingerprint. */
export async function storageView(deps: Pick<Deps, "db" | "storage" | "config">, customerId: string) {
  const current = await currentStorage(deps.db, customerId);
  if (!current) throw apiError.notFound(`customer ${customerId} has no storage configuration`);
  const { config: s, target: t } = current;
  const usage = await deps.db
    .select({ targetId: objectMetadata.storageProviderId, objects: count(), bytes: sum(objectMetadata.sizeBytes) })
    .from(objectMetadata)
    .where(eq(objectMetadata.customerId, customerId))
    .groupBy(objectMetadata.storageProviderId)
    .orderBy(objectMetadata.storageProviderId);
  const decision = writeDecision(s, deps.storage.location.providerId);
  return {
    customer_id: customerId,
    target_id: s.targetId,
    enabled: s.enabled,
    allow_hosted_fallback: s.allowHostedFallback,
    status: s.status,
    last_error_class: s.lastErrorClass,
    last_error: s.lastError,
    last_checked_at: s.lastCheckedAt?.toISOString() ?? null,
    last_success_at: s.lastSuccessAt?.toISOString() ?? null,
    activation_override_by: s.activationOverrideBy,
    credentials_override_by: s.credentialsOverrideBy,
    effective_write_target: "targetId" in decision ? decision.targetId : null,
    target: {
      target_id: t.targetId,
      provider_label: t.providerLabel,
      endpoint: t.endpoint,
      region: t.region,
      country: t.country,
      // A non-AWS bucket's country is what an admin declared, not something this region verified.
      country_basis: t.countrySource === "aws_region" ? "verified" : "declared",
      country_declared_by: t.countryDeclaredBy,
      country_declared_at: t.countryDeclaredAt?.toISOString() ?? null,
      bucket: t.bucket,
      path_prefix: t.pathPrefix,
      bucket_sse: t.bucketSse,
      gateway_encryption: t.gatewayEncryption,
      access_key_id: t.accessKeyId,
      secret_fingerprint: await currentFingerprint(deps, t),
      session_token: t.sessionTokenCiphertext !== null,
      created_at: t.createdAt.toISOString(),
      updated_at: t.updatedAt.toISOString(),
    },
    objects_by_target: usage.map((u) => ({ target_id: u.targetId, objects: u.objects, bytes: Number(u.bytes ?? 0) })),
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

/**
 * Re-probes every enabled, probed configuration so a bucket that breaks (or recovers) changes
 * the write decision without anyone calling validate. An admin override that has not met a
 * probe yet is left alone: the admin activated it knowing the probe fails.
 */
export async function recheckCustomerStorage(deps: Pick<Deps, "db" | "clock" | "config" | "logger" | "cache">): Promise<number> {
  const rows = await deps.db
    .select({ config: customerStorage, target: storageTargets })
    .from(customerStorage)
    .innerJoin(storageTargets, eq(storageTargets.targetId, customerStorage.targetId))
    .where(eq(customerStorage.enabled, true));
  let checked = 0;
  for (const { config, target } of rows) {
    if (config.status === "unvalidated") continue;
    const result = await runProbe(deps.config, target);
    await recordProbe(deps, config.customerId, target.targetId, result);
    checked++;
    if (result.ok !== (config.status === "healthy")) {
      const log = { customer_id: config.customerId, target_id: target.targetId, status: result.ok ? "healthy" : "unhealthy", error_class: result.errorClass };
      if (result.ok) deps.logger.info(log, "customer storage recovered");
      else deps.logger.warn(log, "customer storage became unhealthy");
    }
  }
  return checked;
}

export function startCustomerStorageMonitor(deps: Pick<Deps, "db" | "clock" | "config" | "logger" | "cache">, intervalMs: number, lease?: WorkerLease): () => void {
  return startPeriodic("customer storage check", async () => void (await recheckCustomerStorage(deps)), intervalMs, deps.logger, { runNow: false, lease });
}
