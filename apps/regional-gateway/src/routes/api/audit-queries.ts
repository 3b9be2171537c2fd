import { apiError, CUSTOMER_ID_RE, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { jurisdictionReport, listOperations, operationView } from "../../services/audit/audit-queries.ts";
import { decodeCursor, encodeCursor, limitParam, parseInput } from "../../services/paging.ts";

const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const operationsQuery = z.strictObject({
  customer_id: z.string().regex(CUSTOMER_ID_RE).optional(),
  operation: z.string().min(1).max(100).optional(),
  result: z.enum(["success", "denied", "error"]).optional(),
  bucket: z.string().min(1).max(255).optional(),
  key_prefix: z.string().min(1).max(1024).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  cross_border_only: z.enum(["true", "false"]).default("false"),
  limit: limitParam,
  cursor: z.string().max(200).optional(),
});

export const jurisdictionQuery = z.strictObject({
  customer_id: z.string().regex(CUSTOMER_ID_RE).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: limitParam,
  cursor: z.string().max(200).optional(),
});

const DEFAULT_WINDOW_MS = 30 * 24 * 3_600_000;

/** Read-only audit queries over the operations log and where each customer's data lives. */
export function auditQueryRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/operations", operation("ListOperations"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parseInput(operationsQuery, c.req.query());
    const customerId = scopeCustomer(c, q.customer_id);
    if (customerId) op.customerId = customerId;
    const page = await listOperations(deps.db, {
      customerId,
      operation: q.operation,
      result: q.result,
      bucket: q.bucket,
      keyPrefix: q.key_prefix,
      from: q.from,
      to: q.to,
      crossBorderOnly: q.cross_border_only === "true",
      limit: q.limit,
      beforeId: decodeCursor(q.cursor, z.strictObject({ before: z.number().int().min(1) }))?.before,
    });
    return c.json({
      items: page.rows.map(operationView),
      next_cursor: page.nextBeforeId === undefined ? null : encodeCursor({ before: page.nextBeforeId }),
    });
  });

  r.get("/jurisdiction-compliance", operation("GetJurisdictionCompliance"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parseInput(jurisdictionQuery, c.req.query());
    const customerId = scopeCustomer(c, q.customer_id);
    if (customerId) op.customerId = customerId;
    const to = q.to ?? deps.clock.now();
    const from = q.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS);
    if (from > to) throw apiError.badRequest("from must not be after to");
    const report = await jurisdictionReport(deps.db, {
      customerId,
      from,
      to,
      limit: q.limit,
      afterCustomer: decodeCursor(q.cursor, z.strictObject({ after: z.string().regex(CUSTOMER_ID_RE) }))?.after,
    });
    return c.json({
      region: deps.config.region.region_id,
      window: { from: from.toISOString(), to: to.toISOString() },
      items: report.items,
      next_cursor: report.nextAfter === undefined ? null : encodeCursor({ after: report.nextAfter }),
    });
  });

  return r;
}
