import { apiError, COMPLIANCE_ROLES, describePrincipal, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { findCustomer } from "../../services/access/customers.ts";
import { createDsr, createDsrSchema, dsrView, findDsr, listDsrs, listDsrSchema, raiseDeadlineAlerts } from "../../services/gdpr/gdpr.ts";
import { patchDsrSchema, updateDsr } from "../../services/gdpr/gdpr-tracking.ts";
import { gdprActionRoutes } from "./gdpr-actions.ts";
import { parseInput, requestTarget } from "./gdpr-input.ts";

/** GDPR data-subject requests (Articles 15-22): received, tracked against their deadline and executed in this region. */
export function gdprRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/requests", operation("CreateDataSubjectRequest"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op } = c.var;
    const body = parseInput(createDsrSchema, await c.req.json().catch(() => undefined));
    op.customerId = body.customer_id;
    scopeCustomer(c, body.customer_id);
    const customer = await findCustomer(deps.db, body.customer_id);
    if (!customer || customer.regionId !== deps.config.region.region_id) {
      throw apiError.notFound(`customer ${body.customer_id} is not registered in region ${deps.config.region.region_id}`);
    }
    const now = deps.clock.now();
    const row = await createDsr(deps.db, customer, body, describePrincipal(c.var.principal), now);
    // The subject's id stays out of the append-only log: it could never be erased from there.
    op.info = { request_id: row.requestId, request_type: row.requestType };
    return c.json(dsrView(row, now), 201);
  });

  r.get("/requests", operation("ListDataSubjectRequests"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parseInput(listDsrSchema, c.req.query());
    const customerId = scopeCustomer(c, q.customer_id);
    if (customerId) op.customerId = customerId;
    try {
      await raiseDeadlineAlerts(deps);
    } catch (err) {
      c.var.logger.warn({ err: (err as Error).message }, "GDPR deadline check failed");
    }
    return c.json(await listDsrs(deps.db, { ...q, customer_id: customerId }, deps.clock.now()));
  });

  r.get("/requests/:id", operation("GetDataSubjectRequest"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const { id, scope } = requestTarget(c);
    const row = await findDsr(deps.db, id, scope);
    op.customerId = row.customerId;
    return c.json(dsrView(row, deps.clock.now()));
  });

  r.patch("/requests/:id", operation("UpdateDataSubjectRequest"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op } = c.var;
    const { id, scope } = requestTarget(c);
    const body = parseInput(patchDsrSchema, await c.req.json().catch(() => undefined));
    const now = deps.clock.now();
    const row = await updateDsr(deps.db, id, scope, body, describePrincipal(c.var.principal), now);
    op.customerId = row.customerId;
    op.info = { request_id: id, request_type: row.requestType, status: row.status };
    return c.json(dsrView(row, now));
  });

  r.route("/", gdprActionRoutes());
  return r;
}
