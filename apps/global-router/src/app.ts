import { Hono } from "hono";
import type { Clock } from "./clock.ts";
import type { GlobalRouterConfig } from "./config.ts";
import type { GlobalDb } from "./db.ts";
import type { AppEnv } from "./env.ts";
import { createErrorHandler } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { requestContext } from "./middleware/request-context.ts";
import type { RouterMetrics } from "./ops/metrics.ts";
import type { RegionTraffic } from "./ops/traffic.ts";
import type { RegionHealth } from "./region-health.ts";
import type { RegionDirectory } from "./regions.ts";
import { healthRoutes } from "./routes/health.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { opsDashboardRoutes } from "./routes/ops-dashboard.ts";
import { providerRoutes } from "./routes/providers.ts";
import { regionRoutes } from "./routes/regions.ts";
import { consolePickerRoutes } from "./routes/console-picker.ts";
import { routingRoutes } from "./routes/routing.ts";
import { routingAdminRoutes } from "./routes/routing-admin.ts";
import { internalAccessKeyRoutes } from "./routes/internal-access-keys.ts";
import { internalPublicBucketRoutes } from "./routes/internal-public-buckets.ts";
import { internalRoutingRoutes } from "./routes/internal-routing.ts";
import { internalRoutingMoveRoutes } from "./routes/internal-routing-move.ts";
import { internalUnrouteRoutes } from "./routes/internal-unroute.ts";
import { internalRegionRoutes } from "./routes/internal-regions.ts";
import { s3ProxyRoutes } from "./routes/s3-proxy.ts";
import { openApiRoutes } from "@s3gw/openapi";
import { buildRouterOpenApi } from "./openapi/document.ts";
import type { RoutingLogBuffer, RoutingLogSink } from "./routing-log.ts";
import type { AccessKeyCache, AccessKeyStore } from "./routing/access-keys.ts";
import type { PublicBucketCache, PublicBucketStore } from "./routing/public-buckets.ts";
import type { RoutingCache } from "./routing/cache.ts";
import type { RoutingStore } from "./routing/store.ts";
import type { UpstreamClient } from "./upstream/client.ts";
import type { RegionCircuits } from "./upstream/region-circuits.ts";

export interface AppDeps {
  config: GlobalRouterConfig;
  db: GlobalDb;
  ping: () => Promise<boolean>;
  regions: RegionDirectory;
  routing: RoutingCache;
  routingStore: RoutingStore;
  /** access key id → customer, for routing SigV4 requests. */
  accessKeys: AccessKeyCache;
  accessKeyStore: AccessKeyStore;
  /** public bucket name → customer, for routing anonymous reads. */
  publicBuckets: PublicBucketCache;
  publicBucketStore: PublicBucketStore;
  routingLog: RoutingLogSink & Pick<RoutingLogBuffer, "stats">;
  upstream: Pick<UpstreamClient, "request" | "dispatch">;
  /** Per-region circuit breakers (fail fast while a region hangs). */
  circuits: Pick<RegionCircuits, "begin" | "states">;
  regionHealth: Pick<RegionHealth, "statuses">;
  logger: Logger;
  clock: Clock;
  /** Routed requests of the last hour per region (ops dashboard). */
  traffic: RegionTraffic;
  /** Prometheus registry of this app instance (/metrics). */
  metrics: RouterMetrics;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestContext(deps.logger, deps.clock));
  const s3 = s3ProxyRoutes(deps);
  // Before any route: whether a request is S3 is decided on its raw target (see s3-proxy.ts).
  app.use("*", s3.rawTarget);
  app.route("/", healthRoutes(deps));
  app.route("/", metricsRoutes(deps));
  // The API's description (under /ops: /docs at the root is a path-style bucket); open.
  app.route("/", openApiRoutes<AppEnv>({ document: buildRouterOpenApi, title: "Global router API", specPath: "/ops/openapi.json", docsPath: "/ops/docs" }));
  app.route("/", opsDashboardRoutes(deps));
  app.route("/", regionRoutes(deps));
  app.route("/", consolePickerRoutes(deps));
  app.route("/", providerRoutes(deps));
  app.route("/", routingRoutes(deps));
  app.route("/", routingAdminRoutes(deps));
  app.route("/", internalAccessKeyRoutes(deps));
  app.route("/", internalPublicBucketRoutes(deps));
  app.route("/", internalRoutingRoutes(deps));
  app.route("/", internalRoutingMoveRoutes(deps));
  app.route("/", internalUnrouteRoutes(deps));
  app.route("/", internalRegionRoutes(deps));
  // Last: S3 at /s3 and at the root takes whatever no management route answered.
  app.route("/", s3.routes);
  app.notFound((c) =>
    c.json({ error: { code: "NOT_FOUND", message: `no route for ${c.req.method} ${c.req.path}`, requestId: c.get("requestId") } }, 404),
  );
  app.onError(createErrorHandler(deps.logger));
  return app;
}
