import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { NotificationListener, openDatabase } from "@s3gw/db";
import { globalMigrationsFolder, globalSchema } from "@s3gw/schema-global";
import { createApp } from "./app.ts";
import { systemClock, type Clock } from "./clock.ts";
import { assertStartable, type GlobalRouterConfig } from "./config.ts";
import { errorSummary } from "./errors.ts";
import { createLogger, type Logger } from "./logger.ts";
import { RouterMetrics } from "./ops/metrics.ts";
import { RegionTraffic } from "./ops/traffic.ts";
import { RegionHealth } from "./region-health.ts";
import { RegionDirectory } from "./regions.ts";
import { syncTopology } from "./registry.ts";
import { insertRoutingLogRows, RoutingLogBuffer } from "./routing-log.ts";
import { RoutingLogSpool } from "./routing-log-spool.ts";
import { RoutingSnapshot } from "./routing/snapshot.ts";
import { RegionCircuits } from "./upstream/region-circuits.ts";
import { RoutingCache } from "./routing/cache.ts";
import { ROUTING_CHANNEL, ROUTING_LISTENER_NAME, routingInvalidation } from "./routing/invalidation.ts";
import { AccessKeyCache, createAccessKeyStore } from "./routing/access-keys.ts";
import { createPublicBucketStore, PublicBucketCache } from "./routing/public-buckets.ts";
import { createRoutingStore } from "./routing/store.ts";
import { UpstreamClient } from "./upstream/client.ts";

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** How long close() lets in-flight transfers finish before cutting them. Default 10 s. */
  shutdownGraceMs?: number;
}

export interface RunningGlobalRouter {
  port: number;
  /** Base URL, e.g. http://127.0.0.1:8000 */
  url: string;
  /** Stops accepting, waits for in-flight requests (bounded), flushes the routing log, closes the database. */
  close(): Promise<void>;
}

function listen(app: { fetch: (req: Request, env: never) => Response | Promise<Response> }, host: string, port: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch as never,
        hostname: host,
        port,
        // Node's default 300 s limit on receiving a whole request would cut multi-GiB uploads.
        serverOptions: { requestTimeout: 0 },
      },
      (info: AddressInfo) => resolve({ server: server as Server, port: info.port }),
    ) as Server;
    server.once("error", reject);
    // Without this listener Node answers `Expect: 100-continue` itself, before anyone looked
    // at the request; the relay tells the client to go on only when the region reads the body.
    server.on("checkContinue", (req, res) => server.emit("request", req, res));
    // Any other Expect value: Node would answer 417 itself; S3 ignores what it does not know.
    server.on("checkExpectation", (req, res) => server.emit("request", req, res));
  });
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Opens and migrates the global database, publishes the topology as the registry, loads the
 * routing cache and starts serving. Port 0 picks a free port (tests).
 */
export async function startGlobalRouter(config: GlobalRouterConfig, options: StartOptions = {}): Promise<RunningGlobalRouter> {
  assertStartable(config);
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const database = await openDatabase(config.database, globalSchema);
  let upstream: UpstreamClient | undefined;
  let circuits: RegionCircuits | undefined;
  let recovery: NodeJS.Timeout | undefined;
  let listener: NotificationListener | undefined;
  try {
    const regions = new RegionDirectory(config.topology);
    const routingStore = createRoutingStore(database.db);
    const accessKeyStore = createAccessKeyStore(database.db);
    let snapshot: RoutingSnapshot | undefined;
    const onChange = () => snapshot?.changed();
    const routing = new RoutingCache({ store: routingStore, clock, logger, onChange });
    const accessKeys = new AccessKeyCache({ store: accessKeyStore, clock, logger, onChange });
    const publicBucketStore = createPublicBucketStore(database.db);
    const publicBuckets = new PublicBucketCache({ store: publicBucketStore, clock, logger });
    if (config.snapshotFile) {
      snapshot = new RoutingSnapshot({ file: config.snapshotFile, logger, collect: () => ({ routes: routing.entries(), accessKeys: accessKeys.entries() }) });
    }
    const prepare = async () => {
      await database.migrate(globalMigrationsFolder);
      await syncTopology(database.db, config.topology);
      await routing.reload();
      await accessKeys.reload();
      await publicBuckets.reload();
    };
    try {
      await prepare();
    } catch (err) {
      // Database down at start-up: route from the last snapshot and keep trying in the background.
      const saved = await snapshot?.read();
      if (!saved) throw err;
      routing.seed(saved.routes);
      accessKeys.seed(saved.accessKeys);
      logger.warn({ error: errorSummary(err), routes: saved.routes.length, accessKeys: saved.accessKeys.length, snapshot: config.snapshotFile }, "global database unavailable at start-up; routing from the local snapshot");
      recovery = setInterval(() => {
        prepare().then(
          () => {
            clearInterval(recovery);
            recovery = undefined;
            logger.info("global database reachable again; migrations, registry and routing maps are current");
          },
          () => {},
        );
      }, Math.min(config.routingRefreshMs, 2_000));
      recovery.unref();
    }
    // Changes made through other instances (or in the database) reach this one's maps as notifications.
    listener = new NotificationListener({
      database: config.database,
      db: database.db,
      channel: ROUTING_CHANNEL,
      applicationName: ROUTING_LISTENER_NAME,
      logger,
      ...routingInvalidation({ routing, accessKeys, publicBuckets }, logger),
    });
    await listener.start();
    const notifications = listener;
    upstream = new UpstreamClient(regions, config.upstream);
    const pool = upstream;
    circuits = new RegionCircuits({ regions: regions.list(), reachable: (id, ms, endpoint) => pool.reachable(id, ms, endpoint), config: config.circuit, logger });
    const regionHealth = new RegionHealth({ regions, upstream, clock });
    const spool = config.routingLogSpoolFile ? new RoutingLogSpool(config.routingLogSpoolFile) : undefined;
    const routingLog = new RoutingLogBuffer({ insert: insertRoutingLogRows(database.db), logger, spool });
    const metrics = new RouterMetrics({ routing, routingLog, regionHealth, circuits });
    const app = createApp({
      config,
      db: database.db,
      ping: () => database.ping(),
      regions,
      routing,
      routingStore,
      accessKeys,
      accessKeyStore,
      publicBuckets,
      publicBucketStore,
      routingLog,
      upstream,
      circuits,
      regionHealth,
      logger,
      clock,
      traffic: new RegionTraffic(),
      metrics,
    });
    const { server, port } = await listen(app, config.host, config.port).catch(async (err: unknown) => {
      await routingLog.close();
      throw err;
    });
    routing.startRefresh(config.routingRefreshMs);
    accessKeys.startRefresh(config.routingRefreshMs);
    publicBuckets.startRefresh(config.routingRefreshMs);
    const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
    logger.info(
      { url, database: database.kind, regions: regions.ids(), routes: routing.stats().entries, accessKeys: accessKeys.stats().entries },
      "global router started",
    );
    if (!config.gatewaySharedSecret) {
      logger.warn("no GATEWAY_SHARED_SECRET configured: forwarded requests carry no proof (regions ignore x-forwarded-*) and /internal is disabled (503)");
    }
    if (config.trustedCustomerHeader) logger.warn("TRUSTED_CUSTOMER_HEADER is on: X-Customer-ID without credentials is routed (loopback only)");
    if (!config.adminToken) logger.warn("no ADMIN_TOKEN or ADMIN_TOKEN_SHA256 configured: POST /routing/customers and /ops/dashboard are disabled (503)");

    let closing: Promise<void> | undefined;
    const breakers = circuits;
    const close = () =>
      (closing ??= (async () => {
        routing.stopRefresh();
        accessKeys.stopRefresh();
        publicBuckets.stopRefresh();
        if (recovery) clearInterval(recovery);
        breakers.stop();
        await closeServer(server, options.shutdownGraceMs ?? 10_000);
        await routingLog.close();
        await notifications.close();
        await snapshot?.settled();
        await pool.close();
        await database.close();
        logger.info({ routingLog: routingLog.stats() }, "global router stopped");
      })());
    return { port, url, close };
  } catch (err) {
    if (recovery) clearInterval(recovery);
    circuits?.stop();
    await listener?.close();
    await upstream?.close();
    await database.close().catch(() => {});
    throw err;
  }
}
