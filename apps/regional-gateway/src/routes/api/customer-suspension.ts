import { ADMIN_ONLY } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { resumeCustomer, suspendCustomer, suspendSchema, suspensionView } from "../../services/access/customer-suspension.ts";
import { parseInput } from "../../services/paging.ts";
import { customerParam } from "./customer-keys-params.ts";
import { jsonBody } from "./json-body.ts";

/** Suspending (S3 writes refused, reads as chosen) and resuming a customer; admin only, audited with the reason. */
export function customerSuspensionRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/:id/suspend", operation("SuspendCustomer"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op } = c.var;
    const id = customerParam(c);
    const body = parseInput(suspendSchema, await jsonBody(c), "body");
    op.info = { reason: body.reason, reads: body.reads };
    const customer = await suspendCustomer(deps, id, body);
    return c.json(suspensionView(customer));
  });

  r.post("/:id/resume", operation("ResumeCustomer"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op } = c.var;
    const id = customerParam(c);
    const before = await resumeCustomer(deps, id);
    op.info = { status: before.status };
    return c.json(suspensionView(before));
  });

  return r;
}
