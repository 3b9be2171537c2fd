import { Readable } from "node:stream";
import { apiError, COMPLIANCE_ROLES, describePrincipal } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { dsrView, findDsr } from "../../services/gdpr/gdpr.ts";
import { executeDsr } from "../../services/gdpr/gdpr-execute.ts";
import { exportDocument } from "../../services/gdpr/gdpr-export.ts";
import { liftRestriction } from "../../services/gdpr/gdpr-restriction.ts";
import { requestTarget } from "./gdpr-input.ts";

/** Carrying out requests: execute, lift a restriction, download an access or portability export. */
export function gdprActionRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/requests/:id/execute", operation("ExecuteDataSubjectRequest"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op } = c.var;
    const { id, scope } = requestTarget(c);
    const { row, info } = await executeDsr(deps, id, scope, describePrincipal(c.var.principal));
    op.customerId = row.customerId;
    op.info = info;
    return c.json(dsrView(row, deps.clock.now()));
  });

  r.post("/requests/:id/lift", operation("LiftProcessingRestriction"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op } = c.var;
    const { id, scope } = requestTarget(c);
    const { row, info } = await liftRestriction(deps, id, scope, describePrincipal(c.var.principal));
    op.customerId = row.customerId;
    op.info = info;
    return c.json(dsrView(row, deps.clock.now()));
  });

  // The export carries the subject's personal data: the officer handling the request downloads
  // it, an auditor does not (auditors see the request and its audit trail).
  r.get("/requests/:id/export", operation("ExportDataSubjectData"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op } = c.var;
    const { id, scope } = requestTarget(c);
    const row = await findDsr(deps.db, id, scope);
    op.customerId = row.customerId;
    op.info = { request_id: id, request_type: row.requestType };
    if (row.requestType !== "access" && row.requestType !== "portability") {
      throw apiError.badRequest(`only access and portability requests have an export; ${id} is ${row.requestType}`);
    }
    if (row.status !== "completed") throw apiError.conflict(`request ${id} is ${row.status}: execute it (POST /api/gdpr/requests/${id}/execute) first`);
    const body = Readable.toWeb(Readable.from(exportDocument(deps, row))) as ReadableStream;
    return new Response(body, {
      status: 200,
      headers: { "content-type": "application/json", "content-disposition": `attachment; filename="dsr-${id}.json"`, "cache-control": "no-store" },
    });
  });

  return r;
}
