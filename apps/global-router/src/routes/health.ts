import { Hono } from "hono";
import type { AppDeps } from "../app.ts";
import { pingWithin } from "../db.ts";
import type { AppEnv } from "../env.ts";

/**
 * 503 only when the router's own database is down: a dead region degrades the router but
 * every other region's customers are still served.
 */
export function healthRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/health", async (c) => {
    const [databaseOk, regions] = await Promise.all([pingWithin(deps.ping), deps.regionHealth.statuses()]);
    // Degraded as soon as any gateway of any region is down or has its circuit open.
    const healthy =
      databaseOk &&
      regions.every((r) => r.endpoints.every((e) => e.status === "up")) &&
      deps.circuits.states().every((c) => c.endpoints.every((e) => e.state === "closed"));
    return c.json(
      {
        status: healthy ? "healthy" : "degraded",
        service: "global-router",
        database: databaseOk ? "ok" : "down",
        regions,
        circuits: deps.circuits.states(),
        routing_cache: deps.routing.stats(),
      },
      databaseOk ? 200 : 503,
    );
  });
  return app;
}
