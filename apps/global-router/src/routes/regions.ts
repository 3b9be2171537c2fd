import { Hono } from "hono";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { listRegions } from "../registry.ts";

/** The published region registry, read from the global database. */
export function regionRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/regions", async (c) => {
    const regions = await listRegions(deps.db).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    return c.json({ regions, count: regions.length });
  });
  return app;
}
