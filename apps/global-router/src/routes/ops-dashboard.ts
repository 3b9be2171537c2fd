import { wantsJson } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { requireAdmin } from "../middleware/require-admin.ts";
import { buildGlobalDashboard } from "../ops/dashboard.ts";
import { renderGlobalDashboard } from "../ops/dashboard-text.ts";
import { parseInput } from "../validation.ts";

export const querySchema = z.object({ format: z.enum(["json", "text"]).optional() });

/** The router at a glance: traffic per region, region health, routing cache. Text for curl, JSON on request. */
export function opsDashboardRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/ops/dashboard", requireAdmin(deps.config.adminToken), async (c) => {
    const { format } = parseInput(querySchema, c.req.query(), "query");
    const dashboard = await buildGlobalDashboard(deps);
    c.header("vary", "Accept");
    if (wantsJson(c.req.header("accept"), format)) return c.json(dashboard);
    return c.body(renderGlobalDashboard(dashboard), 200, { "content-type": "text/plain; charset=utf-8" });
  });
  return app;
}
