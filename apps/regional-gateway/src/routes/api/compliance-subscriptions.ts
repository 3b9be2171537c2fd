import { apiError, COMPLIANCE_ROLES, describePrincipal, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import {
  createSubscription,
  createSubscriptionSchema,
  deleteSubscription,
  listSubscriptions,
  listSubscriptionsQuery,
  subscriptionIdSchema,
  subscriptionsCursor,
} from "../../services/events/compliance-subscriptions.ts";
import { decodeCursor, encodeCursor, parseInput } from "../../services/paging.ts";
import { jsonBody } from "./json-body.ts";

/**
 * Compliance event subscriptions (`/api/compliance/subscriptions`): a target receives one
 * customer's compliance events, or every customer's (region-wide). A customer-scoped token
 * subscribes, lists and deletes only for its own customer; region-wide is the region's call.
 */
export function complianceSubscriptionRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/subscriptions", operation("CreateComplianceSubscription"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op, principal } = c.var;
    const body = parseInput(createSubscriptionSchema, await jsonBody(c), "body");
    // A refusal's audit row names what was asked for: another customer, or region-wide.
    const requested = body.customer_id === undefined ? (principal.customerId ?? null) : body.customer_id;
    if (requested) op.customerId = requested;
    op.info = { target_id: body.target_id, events: body.events, region_wide: requested === null };
    if (principal.customerId && requested === null) {
      throw apiError.forbidden(`this token may only access customer ${principal.customerId}: it cannot subscribe region-wide`);
    }
    const customerId = requested === null ? null : scopeCustomer(c, requested)!;
    const subscription = await createSubscription({
      ctx: deps,
      input: { targetId: body.target_id, customerId, events: body.events, createdBy: describePrincipal(principal) },
    });
    op.info = { ...op.info, subscription_id: subscription.subscription_id };
    return c.json(subscription, 201);
  });

  r.get("/subscriptions", operation("ListComplianceSubscriptions"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parseInput(listSubscriptionsQuery, c.req.query());
    const customerId = scopeCustomer(c, q.customer_id);
    if (customerId) op.customerId = customerId;
    const page = await listSubscriptions({
      ctx: deps,
      input: { customerId, targetId: q.target_id, limit: q.limit, after: decodeCursor(q.cursor, subscriptionsCursor) },
    });
    op.info = { returned: page.items.length };
    return c.json({ items: page.items, next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  r.delete("/subscriptions/:id", operation("DeleteComplianceSubscription"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op } = c.var;
    const subscriptionId = parseInput(subscriptionIdSchema, c.req.param("id"), "id");
    op.info = { subscription_id: subscriptionId };
    const scope = scopeCustomer(c, undefined);
    const removed = await deleteSubscription({ ctx: deps, input: { subscriptionId, scope } });
    if (removed.customer_id) op.customerId = removed.customer_id;
    op.info = { ...op.info, target_id: removed.target_id, region_wide: removed.region_wide, events: removed.events };
    return c.json(removed);
  });

  return r;
}
