import { ADMIN_ONLY, describePrincipal, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { describeMove, moveSchema, startMove } from "../../services/moves/move.ts";
import { moveView, type MoveJob } from "../../services/moves/move-job.ts";
import { parseInput } from "../../services/paging.ts";
import { customerParam } from "./customer-keys-params.ts";
import { jsonBody } from "./json-body.ts";

/** What the request's audit row keeps of a run: where it stands, not every step's detail (those have rows of their own). */
function auditSummary(job: MoveJob): Record<string, unknown> {
  return { to_region: job.toRegion, status: job.status, step: job.step, versions_copied: job.versionsCopied, bytes_copied: job.bytesCopied };
}

/**
 * Moving a customer to another region (admin, on the source region): a resumable job that
 * copies everything to the target region directly, fences writes, switches the routing at the
 * global router and erases the copy here. GET shows where it is.
 */
export function customerMoveRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/:id/move", operation("MoveCustomer"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op, principal, requestId } = c.var;
    const id = customerParam(c);
    const body = parseInput(moveSchema, await jsonBody(c), "body");
    op.info = { to_region: body.to_region };
    const { job, resumed } = await startMove(deps, id, body, { requestId, principal: describePrincipal(principal) });
    op.info = { resumed, ...auditSummary(job) };
    return c.json({ ...moveView(job), resumed });
  });

  r.get("/:id/move", operation("GetCustomerMove"), requireRole(...READ_ROLES), async (c) => {
    const id = customerParam(c);
    return c.json(moveView(await describeMove(c.var.deps, id)));
  });

  return r;
}
