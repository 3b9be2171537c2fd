import { CUSTOMER_ID_RE, TARGET_ID_RE } from "@s3gw/core";
import { DELIVERY_STATUSES, notificationDeliveries } from "@s3gw/schema-regional";
import { and, desc, eq, gte, inArray, lt, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { limitParam } from "../paging.ts";

const d = notificationDeliveries;
type Row = typeof d.$inferSelect;

export const listDeliveriesQuery = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  target_id: z.string().regex(TARGET_ID_RE).optional(),
  customer_id: z.string().regex(CUSTOMER_ID_RE).optional(),
  event_name: z.string().min(1).max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: limitParam,
  cursor: z.string().max(500).optional(),
});
export const deliveriesCursor = z.strictObject({ t: z.iso.datetime(), id: z.uuid() });

/** Which dead deliveries to replay: named ones, a target's, or (neither given) all of them. */
export const replaySchema = z.strictObject({
  delivery_ids: z.array(z.uuid()).min(1).max(1000).optional(),
  target_id: z.string().regex(TARGET_ID_RE).optional(),
});

export function deliveryView(r: Row) {
  return {
    delivery_id: r.deliveryId,
    event_id: r.eventId,
    event_name: r.eventName,
    target_id: r.targetId,
    customer_id: r.customerId,
    status: r.status,
    attempts: r.attempts,
    last_error: r.lastError,
    next_attempt_at: r.nextAttemptAt.toISOString(),
    last_attempt_at: r.lastAttemptAt?.toISOString() ?? null,
    delivered_at: r.deliveredAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
  };
}

export interface DeliveryFilter {
  status?: Row["status"] | undefined;
  targetId?: string | undefined;
  /** Set for a customer-scoped caller: only its customer's deliveries. */
  customerId?: string | undefined;
  eventName?: string | undefined;
  since?: Date | undefined;
}

/** Newest first: the list is read to see what is failing now. */
export async function listDeliveries({ ctx, input }: { ctx: Pick<Deps, "db">; input: DeliveryFilter & { limit: number; after?: { t: string; id: string } | undefined } }) {
  const after = input.after ? or(lt(d.createdAt, new Date(input.after.t)), and(eq(d.createdAt, new Date(input.after.t)), lt(d.deliveryId, input.after.id))) : undefined;
  const rows = await ctx.db
    .select()
    .from(d)
    .where(and(...filterOf(input), after))
    .orderBy(desc(d.createdAt), desc(d.deliveryId))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { items: page.map(deliveryView), next: rows.length > input.limit && last ? { t: last.createdAt.toISOString(), id: last.deliveryId } : undefined };
}

function filterOf(f: DeliveryFilter): (SQL | undefined)[] {
  return [
    f.status === undefined ? undefined : eq(d.status, f.status),
    f.targetId === undefined ? undefined : eq(d.targetId, f.targetId),
    f.customerId === undefined ? undefined : eq(d.customerId, f.customerId),
    f.eventName === undefined ? undefined : eq(d.eventName, f.eventName),
    f.since === undefined ? undefined : gte(d.createdAt, f.since),
  ];
}

/**
 * Puts dead deliveries back in the queue as new: pending, no attempts, due now, and created now
 * so the dispatcher's maximum age counts from the replay. Only `dead` rows move: a pending,
 * delivered or refused delivery named here is left as it is (a refused one is never sent).
 * `last_error` stays as the evidence of why it died until the next attempt replaces it.
 */
export async function replayDeadDeliveries({ ctx, input }: { ctx: Pick<Deps, "db" | "clock">; input: { deliveryIds?: string[] | undefined; targetId?: string | undefined; customerId?: string | undefined } }) {
  const now = ctx.clock.now();
  const replayed = await ctx.db
    .update(d)
    .set({ status: "pending", attempts: 0, nextAttemptAt: now, createdAt: now })
    .where(
      and(
        eq(d.status, "dead"),
        input.deliveryIds ? inArray(d.deliveryId, input.deliveryIds) : undefined,
        input.targetId ? eq(d.targetId, input.targetId) : undefined,
        input.customerId ? eq(d.customerId, input.customerId) : undefined,
      ),
    )
    .returning({ deliveryId: d.deliveryId });
  return { replayed: replayed.length };
}
