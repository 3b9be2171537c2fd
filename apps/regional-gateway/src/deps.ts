import { availableParallelism } from "node:os";
import { openDatabase } from "@s3gw/db";
import { objectMetadata, regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import { DigestWorkers, FsProvider, S3Provider, sweepStrays, type StorageProvider } from "@s3gw/storage";
import { inArray } from "drizzle-orm";
import pino, { type Logger } from "pino";
import type { RegionalConfig } from "./config.ts";
import type { Clock, Deps } from "./env.ts";
import { AuditLog } from "./services/audit/audit.ts";
import { AnomalyTallies } from "./services/compliance/anomaly.ts";
import { AUDIT_WORM_PREFIX } from "./services/audit/audit-checkpoints.ts";
import { customerBucketProvider, customerStorageWritePolicy } from "./services/storage/customer-storage.ts";
import { CustomerStorageHealth } from "./services/storage/customer-storage-health.ts";
import { GatewayMetrics } from "./services/ops/metrics.ts";
import { partStorageKeys, sweepStaleUploads } from "./services/objects/multipart.ts";
import { manifestPartKeys, sweepOrphanManifests } from "./services/objects/multipart-manifest.ts";
import { RequestStats } from "./services/ops/request-stats.ts";
import { StorageTargets } from "./services/storage/storage-targets.ts";
import { StorageMigrationWorker } from "./services/storage/storage-migration-worker.ts";
import { CacheInvalidationListener } from "./services/cache/invalidation-listener.ts";
import { RegionalCache } from "./services/cache/regional-cache.ts";
import { keyStateCounts } from "./services/keys/customer-keys.ts";
import { eventQueueStats } from "./services/events/dispatch/queue-stats.ts";
import { LocalKeyProvider } from "./services/keys/local-key-provider.ts";

/** The region's own storage: a directory (`fs`) or a bucket of an S3-compatible service (`s3`). */
async function hostedProvider(config: RegionalConfig, digests: DigestWorkers): Promise<StorageProvider> {
  const region = config.region;
  const location = { providerId: region.provider.provider_id, regionId: region.region_id, country: region.provider.country };
  if (config.hostedS3) {
    const h = config.hostedS3;
    return new S3Provider({
      location,
      region: h.region,
      bucket: h.bucket,
      credentials: { accessKeyId: h.accessKeyId, secretAccessKey: h.secretAccessKey },
      ...(h.endpoint ? { endpoint: h.endpoint } : {}),
      ...(h.pathPrefix ? { pathPrefix: h.pathPrefix } : {}),
      ...(h.sse ? { sse: h.sse } : {}),
      ...(config.s3Requests ? { requestTimeoutMs: config.s3Requests.timeoutMs, maxAttempts: config.s3Requests.maxAttempts } : {}),
      digests,
    });
  }
  const fs = new FsProvider(config.storageDir, location, { minFreeBytes: config.storageMinFreeBytes ?? 0, digests });
  await fs.init();
  return fs;
}

/**
 * Everything a regional gateway runs on — migrated database, hosted storage, storage targets
 * with the customer-bucket policy, audit log — for the server and for command-line tools alike.
 */
export async function openRegionalDeps(config: RegionalConfig, opts: { logger?: Logger; clock?: Clock } = {}) {
  const logger =
    opts.logger ??
    pino({ level: config.logLevel, timestamp: pino.stdTimeFunctions.isoTime, base: { service: "regional-gateway", region: config.region.region_id } });
  const clock = opts.clock ?? { now: () => new Date() };
  const database = await openDatabase(config.database, regionalSchema);
  await database.migrate(regionalMigrationsFolder);
  // A thread for the MD5 of large bodies pays off where a core is free for it. On two cores
  // the event loop, Postgres and (on one box) router and clients already fill both, and a
  // thread costs ~15 MiB of resident memory; measured in bench/hashing.ts and bench:large.
  const digests = new DigestWorkers({ workers: config.hashWorkers ?? (availableParallelism() > 2 ? 1 : 0) });
  const storage = await hostedProvider(config, digests);
  // After the migrations (their triggers send the notifications), before the first request.
  const cache = new RegionalCache(logger);
  const listener = new CacheInvalidationListener({ database: config.database, db: database.db, cache, logger });
  await listener.start();
  const audit = new AuditLog(database, logger);
  const metrics = new GatewayMetrics({ region: config.region.region_id, auditQueueDepth: () => audit.queueDepth(), keyStates: () => keyStateCounts(database.db), eventQueue: () => eventQueueStats(database.db) });
  const health = new CustomerStorageHealth({ db: database.db, clock, logger, metrics, cache });
  const targets = new StorageTargets({
    hosted: storage,
    db: database.db,
    customerProvider: (row) => customerBucketProvider(config, row),
    onCustomerFailure: (targetId, err) => health.observe(targetId, err),
  });
  const deps: Deps = { config, db: database.db, ping: database.ping, storage, targets, audit, logger, clock, stats: new RequestStats(), metrics, migrations: new StorageMigrationWorker(), cache, anomalyTallies: new AnomalyTallies(),
    keys: new LocalKeyProvider({ db: database.db, config, clock, cache, metrics }) };
  targets.setWritePolicy(customerStorageWritePolicy(deps));
  return {
    deps,
    databaseKind: database.kind,
    close: async () => {
      await audit.close();
      await listener.close();
      await database.close();
      await digests.close();
    },
  };
}

/** Aborts stale uploads, then removes hosted bytes nothing points at (after the grace period). */
export async function sweepHostedStorage(deps: Deps): Promise<void> {
  const { config, clock, logger } = deps;
  try {
    const stale = await sweepStaleUploads(deps, new Date(clock.now().getTime() - config.staleUploadDays * 86_400_000));
    if (stale) logger.info({ uploads: stale }, "aborted stale multipart uploads");
    // A multipart object deleted or replaced without its manifest dropped (a crash in between) releases its parts here.
    const orphans = await sweepOrphanManifests(deps.db, deps.targets, new Date(clock.now().getTime() - config.strayGraceMs)).catch((err: Error) => {
      logger.warn({ err: err.message }, "orphaned manifest sweep failed");
      return 0;
    });
    if (orphans) logger.info({ manifests: orphans }, "removed orphaned part manifests");
    // A blob is in use if an object, a part of a multipart object or a part of an upload in progress points at it.
    const result = await sweepStrays(
      deps.storage,
      async (keys) => {
        const rows = await deps.db.select({ k: objectMetadata.storageKey }).from(objectMetadata).where(inArray(objectMetadata.storageKey, keys));
        const parts = await partStorageKeys(deps.db, keys);
        const objectParts = await manifestPartKeys(deps.db, keys);
        // Audit checkpoint copies are WORM: never swept, whatever the database says.
        const worm = keys.filter((k) => k.startsWith(AUDIT_WORM_PREFIX));
        return new Set([...rows.map((r) => r.k), ...parts, ...objectParts, ...worm]);
      },
      config.strayGraceMs,
      clock.now(),
    );
    if (result.strays || result.incomplete) logger.info(result, "swept stray blobs");
  } catch (err) {
    logger.warn({ err: (err as Error).message }, "stray sweep failed");
  }
}
