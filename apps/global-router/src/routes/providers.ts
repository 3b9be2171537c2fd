import { Hono } from "hono";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { listProviders } from "../registry.ts";

/** Where bytes can live, per region: infrastructure only, no customer data. */
export function providerRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/providers", async (c) => {
    const providers = await listProviders(deps.db).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    return c.json({ providers, count: providers.length });
  });
  return app;
}
