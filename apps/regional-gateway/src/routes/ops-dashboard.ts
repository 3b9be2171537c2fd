import { apiError, READ_ROLES, wantsJson } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { operation, requireRole } from "../middleware/auth.ts";
import { renderRegionalDashboard } from "../services/ops/dashboard-text.ts";
import { buildDashboard } from "../services/ops/ops-dashboard.ts";

export const querySchema = z.object({
  top: z.coerce.number().int().min(1).max(500).default(20),
  format: z.enum(["json", "text"]).optional(),
});

/**
 * The region at a glance for operators: text for a terminal, JSON for tools, one set of data.
 * Region-wide by nature, so a customer-scoped token is refused.
 */
export function opsDashboardRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/dashboard", operation("GetOpsDashboard"), requireRole(...READ_ROLES), async (c) => {
    if (c.var.principal.customerId) throw apiError.forbidden("the ops dashboard is region-wide; a customer-scoped token cannot read it");
    const query = querySchema.safeParse(c.req.query());
    if (!query.success) throw apiError.badRequest(query.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`).join("; "));
    const dashboard = await buildDashboard(c.var.deps, { top: query.data.top });
    c.header("vary", "Accept");
    if (wantsJson(c.req.header("accept"), query.data.format)) return c.json(dashboard);
    return c.body(renderRegionalDashboard(dashboard), 200, { "content-type": "text/plain; charset=utf-8" });
  });
  return r;
}
