import { apiError, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { verifyChain } from "../../services/audit.ts";

/** Walks the region's tamper-evident operations log. */
export function auditVerifyRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/verify", operation("VerifyAuditChain"), requireRole(...READ_ROLES), async (c) => {
    if (c.var.principal.customerId) throw apiError.forbidden("the audit chain is region-wide; a customer-scoped token cannot verify it");
    const report = await verifyChain(c.var.deps.db);
    return c.json({ region: c.var.deps.config.region.region_id, ...report, checked_at: c.var.deps.clock.now().toISOString() });
  });
  return r;
}
