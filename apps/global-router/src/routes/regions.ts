import { Hono } from "hono";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { regionGateways } from "../region-gateways.ts";
import { listRegions } from "../registry.ts";

/** The published region registry, read from the global database, with every gateway of each region and its state. */
export function regionRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/regions", async (c) => {
    const [rows, health] = await Promise.all([
      listRegions(deps.db).catch((err: unknown) => {
        throw databaseUnavailable(err);
      }),
      deps.regionHealth.statuses(),
    ]);
    const gateways = regionGateways(deps.regions, health, deps.circuits.states());
    const regions = rows.map((r) => ({ ...r, endpoints: gateways.get(r.region_id) ?? [] }));
    return c.json({ regions, count: regions.length });
  });
  return app;
}
