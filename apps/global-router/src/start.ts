import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { openDatabase } from "@s3gw/db";
import { globalMigrationsFolder, globalSchema } from "@s3gw/schema-global";
import { createApp } from "./app.ts";
import { systemClock, type Clock } from "./clock.ts";
import type { GlobalRouterConfig } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";
import { RouterMetrics } from "./ops/metrics.ts";
import { RegionTraffic } from "./ops/traffic.ts";
import { RegionHealth } from "./region-health.ts";
import { RegionDirectory } from "./regions.ts";
import { syncTopology } from "./registry.ts";
import { insertRoutingLogRows, RoutingLogBuffer } from "./routing-log.ts";
import { RoutingCache } from "./routing/cache.ts";
import { AccessKeyCache, createAccessKeyStore } from "./routing/access-keys.ts";
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
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const database = await openDatabase(config.database, globalSchema);
  let upstream: UpstreamClient | undefined;
  try {
    await database.migrate(globalMigrationsFolder);
    await syncTopology(database.db, config.topology);
    const regions = new RegionDirectory(config.topology);
    const routingStore = createRoutingStore(database.db);
    const routing = new RoutingCache({ store: routingStore, clock, logger });
    await routing.reload();
    const accessKeyStore = createAccessKeyStore(database.db);
    const accessKeys = new AccessKeyCache({ store: accessKeyStore, clock, logger });
    await accessKeys.reload();
    upstream = new UpstreamClient(regions, config.upstream);
    const regionHealth = new RegionHealth({ regions, upstream, clock });
    const routingLog = new RoutingLogBuffer({ insert: insertRoutingLogRows(database.db), logger });
    const metrics = new RouterMetrics({ routing, routingLog, regionHealth });
    const app = createApp({
      config,
      db: database.db,
      ping: () => database.ping(),
      regions,
      routing,
      routingStore,
      accessKeys,
      accessKeyStore,
      routingLog,
      upstream,
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
    const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
    logger.info(
      { url, database: database.kind, regions: regions.ids(), routes: routing.stats().entries, accessKeys: accessKeys.stats().entries },
      "global router started",
    );
    if (!config.gatewaySharedSecret) {
      logger.warn("no GATEWAY_SHARED_SECRET configured: forwarded requests carry no proof (regions ignore x-forwarded-*) and /internal is disabled (503)");
    }
    if (!config.adminToken) logger.warn("no ADMIN_TOKEN or ADMIN_TOKEN_SHA256 configured: POST /routing/customers and /ops/dashboard are disabled (503)");

    let closing: Promise<void> | undefined;
    const pool = upstream;
    const close = () =>
      (closing ??= (async () => {
        routing.stopRefresh();
        accessKeys.stopRefresh();
        await closeServer(server, options.shutdownGraceMs ?? 10_000);
        await routingLog.close();
        await pool.close();
        await database.close();
        logger.info({ routingLog: routingLog.stats() }, "global router stopped");
      })());
    return { port, url, close };
  } catch (err) {
    await upstream?.close();
    await database.close().catch(() => {});
    throw err;
  }
}
