import { ADMIN_ONLY, apiError, describePrincipal } from "@s3gw/core";
import type { Context } from "hono";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { createTargetSchema, deleteTargetQuery, listTargetsQuery } from "../../services/events/target-input.ts";
import { deleteTarget } from "../../services/events/target-delete.ts";
import { createTarget, getTarget, listTargets, targetsCursor } from "../../services/events/targets.ts";
import { decodeCursor, encodeCursor, parseInput } from "../../services/paging.ts";
import { jsonBody } from "./json-body.ts";

/** Targets serve the whole region (any customer's buckets may name them): a customer-scoped token has no say over them. */
const regionWide = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.principal.customerId) throw apiError.forbidden("notification targets belong to the region; a customer-scoped token cannot manage them");
  await next();
});

const targetParam = (c: Context<AppEnv>) => c.req.param("id")!;

/** Where the region's events go: register, list, show, delete (admin). Answers and audit rows never carry a secret. */
export function notificationTargetRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/", operation("CreateNotificationTarget"), requireRole(...ADMIN_ONLY), regionWide, async (c) => {
    const { deps, op, principal } = c.var;
    const body = parseInput(createTargetSchema, await jsonBody(c), "body");
    const target = await createTarget({ ctx: deps, input: { ...body, createdBy: describePrincipal(principal) } });
    op.info = { target_id: target.target_id, name: target.name, kind: target.kind, country: target.country, compliance_events: target.compliance_events, secret_generated: "secret" in target };
    return c.json(target, 201);
  });

  r.get("/", operation("ListNotificationTargets"), requireRole(...ADMIN_ONLY), regionWide, async (c) => {
    const q = parseInput(listTargetsQuery, c.req.query());
    const page = await listTargets({ ctx: c.var.deps, input: { limit: q.limit, includeDeleted: q.include_deleted, after: decodeCursor(q.cursor, targetsCursor) } });
    c.var.op.info = { returned: page.items.length };
    return c.json({ items: page.items, next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  r.get("/:id", operation("DescribeNotificationTarget"), requireRole(...ADMIN_ONLY), regionWide, async (c) => {
    const targetId = targetParam(c);
    c.var.op.info = { target_id: targetId };
    return c.json(await getTarget({ ctx: c.var.deps, input: { targetId } }));
  });

  r.delete("/:id", operation("DeleteNotificationTarget"), requireRole(...ADMIN_ONLY), regionWide, async (c) => {
    const { deps, op } = c.var;
    const targetId = targetParam(c);
    const q = parseInput(deleteTargetQuery, c.req.query());
    op.info = { target_id: targetId, force: q.force };
    const result = await deleteTarget({ ctx: deps, input: { targetId, force: q.force } });
    op.info = { ...op.info, deleted_at: result.target.deleted_at, still_named_by: result.still_named_by.length };
    return c.json(result);
  });

  return r;
}
