import { apiError } from "@s3gw/core";
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { type ExportRange, exportIdRange, exportLines } from "../../services/audit/audit-export.ts";
import { parseInput } from "../../services/paging.ts";
import { AUDIT_LOG_ROLES } from "./audit-checkpoints.ts";

const id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const exportQuery = z
  .strictObject({ from_id: id.optional(), to_id: id.optional(), from: isoTime.optional(), to: isoTime.optional() })
  .refine((q) => !((q.from_id ?? q.to_id) !== undefined && (q.from ?? q.to) !== undefined), "give an id range (from_id, to_id) or a time range (from, to), not both")
  .refine((q) => (q.from === undefined) === (q.to === undefined), "a time range needs both from and to")
  .refine((q) => !(q.from_id && q.to_id && q.from_id > q.to_id), "from_id must not be after to_id")
  .refine((q) => !(q.from && q.to && q.from > q.to), "from must not be after to");

/** The operations log as JSON Lines, with the checkpoints that let an auditor verify it offline. */
export function auditExportRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/export", operation("ExportAuditLog"), requireRole(...AUDIT_LOG_ROLES), async (c) => {
    const { deps, op } = c.var;
    if (c.var.principal.customerId) throw apiError.forbidden("the audit log export is region-wide; a customer-scoped token cannot export it");
    const q = parseInput(exportQuery, c.req.query());
    const range: ExportRange = q.from && q.to ? { from: q.from, to: q.to } : { fromId: q.from_id, toId: q.to_id };
    const ids = await exportIdRange(deps.db, range);
    op.info = { range: q, ids: ids ?? null };
    c.header("content-type", "application/x-ndjson; charset=utf-8");
    c.header("content-disposition", `attachment; filename="audit-${deps.config.region.region_id}.jsonl"`);
    return stream(c, async (s) => {
      const lines = ids ? exportLines(deps.db, ids) : exportLines(deps.db, { fromId: 1, toId: 0 });
      for await (const line of lines) {
        if (s.aborted) break;
        await s.write(line);
      }
    }, async (err, s) => {
      deps.logger.error({ err: err.message }, "audit export failed mid-stream");
      s.abort();
    });
  });
  return r;
}
