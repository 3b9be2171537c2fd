import { ADMIN_ONLY, apiError } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { checkpointView, createCheckpoint, listCheckpoints } from "../../services/audit/audit-checkpoints.ts";
import { decodeCursor, encodeCursor, limitParam, parseInput } from "../../services/paging.ts";

/** Auditors read the region-wide log; officers have no duty there. */
export const AUDIT_LOG_ROLES = ["admin", "auditor"] as const;

export const listQuery = z.strictObject({ limit: limitParam, cursor: z.string().max(200).optional() });

/** Signed checkpoints of the operations log: listed for auditors, signed on demand by an admin. */
export function auditCheckpointRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/checkpoints", operation("ListAuditCheckpoints"), requireRole(...AUDIT_LOG_ROLES), async (c) => {
    if (c.var.principal.customerId) throw apiError.forbidden("checkpoints cover the whole region; a customer-scoped token cannot read them");
    const q = parseInput(listQuery, c.req.query());
    const page = await listCheckpoints(c.var.deps.db, {
      limit: q.limit,
      beforeId: decodeCursor(q.cursor, z.strictObject({ before: z.number().int().min(1) }))?.before,
    });
    return c.json({
      items: page.rows.map(checkpointView),
      next_cursor: page.nextBeforeId === undefined ? null : encodeCursor({ before: page.nextBeforeId }),
    });
  });

  r.post("/checkpoints", operation("CreateAuditCheckpoint"), requireRole(...ADMIN_ONLY), async (c) => {
    if (c.var.principal.customerId) throw apiError.forbidden("checkpoints cover the whole region; a customer-scoped token cannot sign one");
    const row = await createCheckpoint(c.var.deps, { trigger: "on_demand", principal: c.var.op.principal ?? null });
    c.var.op.info = { checkpoint_id: row!.id, last_id: row!.lastId, row_count: row!.rowCount };
    return c.json(checkpointView(row!), 201);
  });

  return r;
}
