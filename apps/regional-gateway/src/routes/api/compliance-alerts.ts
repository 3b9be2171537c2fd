import { apiError, COMPLIANCE_ROLES, CUSTOMER_ID_RE, describePrincipal, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { eventView, findEvent, listOpenEvents, resolveEvent, SEVERITIES } from "../../services/compliance/compliance-events.ts";
import { decodeCursor, encodeCursor, limitParam, parseInput } from "../../services/paging.ts";

export const alertsQuery = z.strictObject({
  customer_id: z.string().regex(CUSTOMER_ID_RE).optional(),
  severity: z.enum(SEVERITIES).optional(),
  limit: limitParam,
  cursor: z.string().max(500).optional(),
});
const alertsCursor = z.strictObject({ t: z.string().min(1).max(64), id: z.uuid() });

export const resolveBody = z.strictObject({ resolution_note: z.string().trim().min(1).max(2000) });

/** Open compliance events and their resolution. */
export function complianceAlertRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/alerts", operation("ListComplianceAlerts"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parseInput(alertsQuery, c.req.query());
    const customerId = scopeCustomer(c, q.customer_id);
    if (customerId) op.customerId = customerId;
    const page = await listOpenEvents(deps.db, {
      customerId,
      severity: q.severity,
      limit: q.limit,
      after: decodeCursor(q.cursor, alertsCursor),
    });
    const now = deps.clock.now();
    return c.json({ items: page.rows.map((e) => eventView(e, now)), next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  r.post("/events/:id/resolve", operation("ResolveComplianceEvent"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op, principal } = c.var;
    const id = c.req.param("id");
    if (!z.uuid().safeParse(id).success) throw apiError.badRequest("event id must be a UUID");
    const body = parseInput(resolveBody, await c.req.json().catch(() => undefined), "body");
    const event = await findEvent(deps.db, id);
    if (!event) throw apiError.notFound(`no compliance event ${id}`);
    // Region-wide events (no customer) are not any one customer's to resolve.
    if (event.customerId === null && principal.customerId) throw apiError.forbidden(`this token may only access customer ${principal.customerId}`);
    if (event.customerId !== null) op.customerId = scopeCustomer(c, event.customerId);
    op.info = { event_id: id, event_type: event.eventType };
    const resolved = await resolveEvent(deps.db, deps.clock.now(), id, body.resolution_note, describePrincipal(principal));
    if (!resolved) throw apiError.conflict(`compliance event ${id} is already resolved`);
    return c.json(eventView(resolved, deps.clock.now()));
  });

  return r;
}
