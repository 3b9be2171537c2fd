import { apiError, CUSTOMER_ID_RE, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { complianceSummary } from "../../services/compliance/compliance.ts";
import { findCustomer } from "../../services/access/customers.ts";

export function complianceRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/summary", operation("GetComplianceSummary"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const id = scopeCustomer(c, c.req.header("x-customer-id"));
    if (!id) throw apiError.badRequest("X-Customer-ID header is required");
    if (!CUSTOMER_ID_RE.test(id)) throw apiError.badRequest("malformed X-Customer-ID header");
    const customer = await findCustomer(deps.db, id);
    if (!customer) throw apiError.notFound(`customer ${id} is not registered in region ${deps.config.region.region_id}`);
    op.customerId = id;
    return c.json({ ...(await complianceSummary(deps.db, customer)), generated_at: deps.clock.now().toISOString() });
  });
  return r;
}
