import { ADMIN_ONLY, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { deliveriesCursor, listDeliveries, listDeliveriesQuery, replayDeadDeliveries, replaySchema } from "../../services/events/deliveries.ts";
import { decodeCursor, encodeCursor, parseInput } from "../../services/paging.ts";
import { jsonBody } from "./json-body.ts";

/**
 * The region's event deliveries: listed for operators and auditors (a customer-scoped token
 * sees its customer's only), dead letters replayed by an admin.
 */
export function notificationDeliveryRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/", operation("ListNotificationDeliveries"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parseInput(listDeliveriesQuery, c.req.query());
    const customerId = scopeCustomer(c, q.customer_id);
    if (customerId) op.customerId = customerId;
    const page = await listDeliveries({
      ctx: deps,
      input: { status: q.status, targetId: q.target_id, customerId, eventName: q.event_name, since: q.since ? new Date(q.since) : undefined, limit: q.limit, after: decodeCursor(q.cursor, deliveriesCursor) },
    });
    op.info = { returned: page.items.length };
    return c.json({ items: page.items, next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  r.post("/replay", operation("ReplayNotificationDeliveries"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op } = c.var;
    const body = parseInput(replaySchema, await jsonBody(c, { emptyIsObject: true }), "body");
    const customerId = scopeCustomer(c, undefined);
    if (customerId) op.customerId = customerId;
    op.info = { delivery_ids: body.delivery_ids?.length ?? null, target_id: body.target_id ?? null };
    const result = await replayDeadDeliveries({ ctx: deps, input: { deliveryIds: body.delivery_ids, targetId: body.target_id, customerId } });
    op.info = { ...op.info, replayed: result.replayed };
    return c.json(result);
  });

  return r;
}
