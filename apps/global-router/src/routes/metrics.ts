import { Hono } from "hono";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";

/** Prometheus exposition; open like /health (labels are regions and statuses, never customers). */
export function metricsRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/metrics", async (c) => c.body(await deps.metrics.render(), 200, { "content-type": deps.metrics.contentType }));
  return app;
}
