import { apiError, CUSTOMER_ID_RE, eventTargetArn, eventTargetDecision, isCompliancePattern, TARGET_ID_RE } from "@s3gw/core";
import { complianceSubscriptions, notificationTargets } from "@s3gw/schema-regional";
import { and, asc, eq, gt, inArray, isNull, or } from "drizzle-orm";
import { z } from "zod";
import type { Deps, RegionalDb, RegionalTx } from "../../env.ts";
import { findHomedCustomer } from "../access/customers.ts";
import { limitParam } from "../paging.ts";
import { findTargetRow } from "./targets.ts";

const s = complianceSubscriptions;
type Row = typeof s.$inferSelect;
type SubscriptionDeps = Pick<Deps, "db" | "config" | "clock">;

export const createSubscriptionSchema = z.strictObject({
  target_id: z.string().regex(TARGET_ID_RE, "a target id is tgt_ and 24 lowercase hex digits"),
  /** Absent: the caller's own customer for a customer-scoped token, region-wide otherwise. null: region-wide. */
  customer_id: z.string().regex(CUSTOMER_ID_RE, "malformed customer id").nullable().optional(),
  events: z
    .array(z.string().max(100).refine(isCompliancePattern, "not a compliance event kind or family"))
    .min(1)
    .max(50)
    .transform((v) => [...new Set(v)]),
});

export const listSubscriptionsQuery = z.strictObject({
  customer_id: z.string().regex(CUSTOMER_ID_RE).optional(),
  target_id: z.string().regex(TARGET_ID_RE).optional(),
  limit: limitParam,
  cursor: z.string().max(500).optional(),
});
export const subscriptionsCursor = z.strictObject({ t: z.iso.datetime(), id: z.uuid() });
export const subscriptionIdSchema = z.uuid("a subscription id is a UUID");

export function subscriptionView(r: Row, regionId: string, targetLive: boolean) {
  return {
    subscription_id: r.subscriptionId,
    target_id: r.targetId,
    target_arn: eventTargetArn(regionId, r.targetId),
    // A deleted target keeps its subscriptions, which then deliver nothing.
    target_live: targetLive,
    customer_id: r.customerId,
    region_wide: r.customerId === null,
    events: r.events,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
  };
}
export type SubscriptionView = ReturnType<typeof subscriptionView>;

/**
 * Subscribes a live target to compliance events of one customer, or region-wide (`customerId`
 * null). A customer's residency rule is checked against the target's country now, so a
 * subscription that could never deliver is refused with the reason; the dispatcher checks it
 * again for every event (the customer's rule may change later). A region-wide subscription
 * is checked per event only: each customer's events go there or not by their own rule.
 */
export async function createSubscription({ ctx, input }: { ctx: SubscriptionDeps; input: { targetId: string; customerId: string | null; events: string[]; createdBy: string } }): Promise<SubscriptionView> {
  const target = await findTargetRow(ctx, input.targetId);
  if (target.deletedAt) throw apiError.conflict(`notification target ${input.targetId} is deleted: it receives nothing`);
  if (input.customerId !== null) {
    const customer = await findHomedCustomer(ctx, input.customerId);
    const decision = eventTargetDecision({ requirement: customer.dataResidencyRequirement, country: customer.country }, target.country);
    if (!decision.allowed) throw apiError.badRequest(`target ${input.targetId} may not receive customer ${input.customerId}'s events: ${decision.reason}`);
  }
  const [row] = await ctx.db
    .insert(s)
    .values({ targetId: input.targetId, customerId: input.customerId, events: input.events, createdBy: input.createdBy, createdAt: ctx.clock.now() })
    .onConflictDoNothing()
    .returning();
  if (!row) {
    const [existing] = await ctx.db
      .select({ id: s.subscriptionId })
      .from(s)
      .where(and(eq(s.targetId, input.targetId), input.customerId === null ? isNull(s.customerId) : eq(s.customerId, input.customerId)));
    const whose = input.customerId === null ? "region-wide" : `for customer ${input.customerId}`;
    throw apiError.conflict(`target ${input.targetId} already has a subscription ${whose}${existing ? ` (${existing.id})` : ""}; delete it to change its events`);
  }
  return subscriptionView(row, ctx.config.region.region_id, true);
}

/** Oldest first. `customerId` set: that customer's subscriptions only (a scoped caller never sees region-wide ones). */
export async function listSubscriptions({ ctx, input }: { ctx: SubscriptionDeps; input: { customerId?: string | undefined; targetId?: string | undefined; limit: number; after?: { t: string; id: string } | undefined } }) {
  const after = input.after ? or(gt(s.createdAt, new Date(input.after.t)), and(eq(s.createdAt, new Date(input.after.t)), gt(s.subscriptionId, input.after.id))) : undefined;
  const rows = await ctx.db
    .select({ row: s, targetDeletedAt: notificationTargets.deletedAt })
    .from(s)
    .innerJoin(notificationTargets, eq(notificationTargets.targetId, s.targetId))
    .where(and(input.customerId === undefined ? undefined : eq(s.customerId, input.customerId), input.targetId === undefined ? undefined : eq(s.targetId, input.targetId), after))
    .orderBy(asc(s.createdAt), asc(s.subscriptionId))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1)?.row;
  return {
    items: page.map((r) => subscriptionView(r.row, ctx.config.region.region_id, r.targetDeletedAt === null)),
    next: rows.length > input.limit && last ? { t: last.createdAt.toISOString(), id: last.subscriptionId } : undefined,
  };
}

/**
 * Removes a subscription; events fanned out after this no longer go to it. `scope` set (a
 * customer-scoped caller): only that customer's, and anything else is answered as absent.
 */
export async function deleteSubscription({ ctx, input }: { ctx: SubscriptionDeps; input: { subscriptionId: string; scope: string | undefined } }): Promise<SubscriptionView> {
  const [row] = await ctx.db
    .delete(s)
    .where(and(eq(s.subscriptionId, input.subscriptionId), input.scope === undefined ? undefined : eq(s.customerId, input.scope)))
    .returning();
  if (!row) throw apiError.notFound(`no compliance subscription ${input.subscriptionId}`);
  const target = await findTargetRow(ctx, row.targetId);
  return subscriptionView(row, ctx.config.region.region_id, target.deletedAt === null);
}

export type SubscriptionRow = Pick<Row, "targetId" | "customerId" | "events">;

/** The subscriptions that may match events of `customerIds`: theirs, and the region-wide ones. */
export function subscriptionsOf(db: RegionalDb | RegionalTx, customerIds: string[]): Promise<SubscriptionRow[]> {
  return db
    .select({ targetId: s.targetId, customerId: s.customerId, events: s.events })
    .from(s)
    .where(customerIds.length === 0 ? isNull(s.customerId) : or(isNull(s.customerId), inArray(s.customerId, customerIds)));
}
