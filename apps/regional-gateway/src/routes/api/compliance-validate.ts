import { apiError, CUSTOMER_ID_RE, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { findCustomer } from "../../services/access/customers.ts";
import { parseInput } from "../../services/paging.ts";
import { validateResidency } from "../../services/compliance/residency-validation.ts";

export const validateQuery = z.strictObject({ customer_id: z.string().regex(CUSTOMER_ID_RE).optional() });

/**
 * On-demand residency validation. Open to every read role, auditors included: it only
 * observes where bytes are, and the events it raises record what it observed.
 */
export function complianceValidateRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/validate/data-residency", operation("ValidateDataResidency"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parseInput(validateQuery, c.req.query());
    const customerId = scopeCustomer(c, q.customer_id);
    if (customerId !== undefined) {
      op.customerId = customerId;
      if (!(await findCustomer(deps.db, customerId))) throw apiError.notFound(`customer ${customerId} is not registered in region ${deps.config.region.region_id}`);
    }
    const report = await validateResidency(deps, customerId);
    op.info = { checked: report.checked, violations: report.violation_count, events_raised: report.events_raised };
    return c.json({
      region: deps.config.region.region_id,
      customer_id: customerId ?? null,
      ...report,
      checked_at: deps.clock.now().toISOString(),
    });
  });
  return r;
}
