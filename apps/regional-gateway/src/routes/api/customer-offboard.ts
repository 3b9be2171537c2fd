import { ADMIN_ONLY, describePrincipal, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { describeOffboarding, offboardSchema, startOffboarding } from "../../services/offboarding/offboarding.ts";
import { jobView, type OffboardingJob } from "../../services/offboarding/offboarding-job.ts";
import { parseInput } from "../../services/paging.ts";
import { customerParam } from "./customer-keys-params.ts";
import { jsonBody } from "./json-body.ts";

/** What the audit row keeps of a run: counts and decisions, not the manifest. */
function auditSummary(job: OffboardingJob): Record<string, unknown> {
  const r = job.result as { erase?: { erased?: number; kept?: unknown[] }; shred?: Record<string, unknown>; unroute?: Record<string, unknown> };
  return {
    status: job.status, step: job.step, export: job.exportRequested,
    erased: r.erase?.erased ?? null, kept: r.erase?.kept?.length ?? null,
    shred: r.shred ? (r.shred.scheduled ? { request_id: r.shred.request_id } : { skipped: true }) : null,
    unrouted: r.unroute ?? null,
  };
}

/** Offboarding a customer (admin): a resumable job; GET shows where it is. */
export function customerOffboardRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/:id/offboard", operation("OffboardCustomer"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op, principal } = c.var;
    const id = customerParam(c);
    const body = parseInput(offboardSchema, await jsonBody(c), "body");
    op.info = { reason: body.reason, export: body.export };
    const { job, resumed } = await startOffboarding(deps, id, body, describePrincipal(principal));
    op.info = { reason: job.reason, resumed, ...auditSummary(job) };
    return c.json({ ...jobView(job), resumed });
  });

  r.get("/:id/offboard", operation("GetCustomerOffboarding"), requireRole(...READ_ROLES), async (c) => {
    const id = customerParam(c);
    const { job, shred } = await describeOffboarding(c.var.deps, id);
    return c.json({ ...jobView(job), crypto_shred: shred });
  });

  return r;
}
