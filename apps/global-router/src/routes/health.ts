import { Hono } from "hono";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";

const DB_PING_TIMEOUT_MS = 2_000;

async function pingWithin(ping: () => Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([ping().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * 503 only when the router's own database is down: a dead region degrades the router but
 * every other region's customers are still served.
 */
export function healthRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/health", async (c) => {
    const [databaseOk, regions] = await Promise.all([pingWithin(deps.ping, DB_PING_TIMEOUT_MS), deps.regionHealth.statuses()]);
    const healthy = databaseOk && regions.every((r) => r.status === "up");
    return c.json(
      {
        status: healthy ? "healthy" : "degraded",
        service: "global-router",
        database: databaseOk ? "ok" : "down",
        regions,
        routing_cache: deps.routing.stats(),
      },
      databaseOk ? 200 : 503,
    );
  });
  return app;
}
