import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { openDatabase } from "@s3gw/db";
import { objectMetadata, regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import { FsProvider, sweepStrays } from "@s3gw/storage";
import { inArray } from "drizzle-orm";
import pino, { type Logger } from "pino";
import { createApp } from "./app.ts";
import type { RegionalConfig } from "./config.ts";
import type { Clock, Deps } from "./env.ts";
import { AuditLog } from "./services/audit.ts";
import { StorageTargets } from "./services/storage-targets.ts";
import { customerBucketProvider, customerStorageWritePolicy, startCustomerStorageMonitor } from "./services/customer-storage.ts";
import { startGdprDeadlineTimer } from "./services/gdpr.ts";
import { startLifecycleWorker } from "./services/lifecycle-worker.ts";
import { partStorageKeys, sweepStaleUploads } from "./services/multipart.ts";
import { GatewayMetrics } from "./services/metrics.ts";
import { RequestStats } from "./services/request-stats.ts";

export interface RunningGateway {
  url: string;
  port: number;
  deps: Deps;
  /** Stops accepting requests, waits for in-flight ones, closes the database. */
  close(): Promise<void>;
}

export async function startRegionalGateway(
  config: RegionalConfig,
  opts: { logger?: Logger; clock?: Clock } = {},
): Promise<RunningGateway> {
  const logger =
    opts.logger ??
    pino({ level: config.logLevel, timestamp: pino.stdTimeFunctions.isoTime, base: { service: "regional-gateway", region: config.region.region_id } });
  const clock = opts.clock ?? { now: () => new Date() };
  const database = await openDatabase(config.database, regionalSchema);
  await database.migrate(regionalMigrationsFolder);
  const region = config.region;
  const storage = new FsProvider(config.storageDir, { providerId: region.provider.provider_id, regionId: region.region_id, country: region.provider.country });
  await storage.init();
  const audit = new AuditLog(database.db, logger);
  const metrics = new GatewayMetrics({ region: region.region_id, auditQueueDepth: () => audit.queueDepth() });
  const targets = new StorageTargets({ hosted: storage, db: database.db, customerProvider: (row) => customerBucketProvider(config, row) });
  const deps: Deps = { config, db: database.db, ping: database.ping, storage, targets, audit, logger, clock, stats: new RequestStats(), metrics };
  targets.setWritePolicy(customerStorageWritePolicy(deps));

  const sweep = async () => {
    try {
      const stale = await sweepStaleUploads(deps, new Date(clock.now().getTime() - config.staleUploadDays * 86_400_000));
      if (stale) logger.info({ uploads: stale }, "aborted stale multipart uploads");
      // A blob is in use if an object or a part of an upload in progress points at it.
      const result = await sweepStrays(
        storage,
        async (keys) => {
          const rows = await deps.db.select({ k: objectMetadata.storageKey }).from(objectMetadata).where(inArray(objectMetadata.storageKey, keys));
          const parts = await partStorageKeys(deps.db, keys);
          return new Set([...rows.map((r) => r.k), ...parts]);
        },
        config.strayGraceMs,
        clock.now(),
      );
      if (result.strays || result.incomplete) logger.info(result, "swept stray blobs");
    } catch (err) {
      logger.warn({ err: (err as Error).message }, "stray sweep failed");
    }
  };
  const sweepTimer = setInterval(sweep, config.sweepIntervalMs);
  sweepTimer.unref();
  const stopGdprTimer = startGdprDeadlineTimer(deps, config.gdprDeadlineCheckMs);
  const stopStorageMonitor = startCustomerStorageMonitor(deps, config.sweepIntervalMs);
  const stopLifecycle = startLifecycleWorker(deps, config.lifecycleIntervalMs);
  void sweep();

  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  // Large uploads can legitimately take long; only idle sockets are reaped.
  if ("requestTimeout" in server) server.requestTimeout = 0;
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.host, database: database.kind, storage: config.storageDir, trustedCustomerHeader: config.trustedCustomerHeader }, "regional gateway listening");
  if (!config.adminToken) logger.warn("no ADMIN_TOKEN or ADMIN_TOKEN_SHA256 configured: management APIs accept only tokens already in the database");
  if (!config.masterKeys) logger.warn("no MASTER_KEYS configured: S3 access keys cannot be created (503) and stored ones cannot be used");
  if (!config.gatewaySharedSecret) {
    logger.warn("no GATEWAY_SHARED_SECRET configured: forwarding proofs from the global router are not checked, so x-forwarded-* and x-s3gw-* headers are ignored");
  }
  if (!config.globalRouterUrl) logger.warn("no GLOBAL_ROUTER_URL configured: access keys are not registered with a global router (signed requests must come to this region directly)");
  if (config.trustedCustomerHeader) {
    logger.warn("trusted-header mode: S3 requests are identified by X-Customer-ID without credentials; use only on loopback or behind a trusted edge");
  }
  return {
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    port,
    deps,
    close: async () => {
      clearInterval(sweepTimer);
      stopGdprTimer();
      stopStorageMonitor();
      stopLifecycle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
      await audit.close();
      await database.close();
    },
  };
}
