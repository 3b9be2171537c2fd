import type { OutboxEvent } from "@s3gw/core";
import { eventOutbox, notificationDeliveries } from "@s3gw/schema-regional";
import { alias } from "drizzle-orm/pg-core";
import { and, asc, eq, lt, lte, notExists, notInArray, sql } from "drizzle-orm";
import type { RegionalDb } from "../../../env.ts";

export interface DueDelivery {
  deliveryId: string;
  targetId: string;
  orderingKey: string;
  attempts: number;
  event: OutboxEvent;
}

const d = notificationDeliveries;
const earlier = alias(notificationDeliveries, "earlier");

/** last_error is shown in the deliveries API: long enough to diagnose, never a response body. */
const MAX_ERROR_LENGTH = 300;

/**
 * The deliveries of one target that may be attempted now, oldest first: per ordering key only
 * the oldest pending one (a later event of the key waits for it, however long its backoff;
 * dead and refused ones do not hold it up), only when due, and not of a key this instance has
 * in flight already.
 */
export async function dueDeliveries(db: RegionalDb, targetId: string, busyKeys: string[], limit: number): Promise<DueDelivery[]> {
  if (limit <= 0) return [];
  const rows = await db
    .select({
      deliveryId: d.deliveryId,
      targetId: d.targetId,
      orderingKey: d.orderingKey,
      attempts: d.attempts,
      seq: eventOutbox.seq,
      eventId: eventOutbox.eventId,
      category: eventOutbox.category,
      eventName: eventOutbox.eventName,
      customerId: eventOutbox.customerId,
      payload: eventOutbox.payload,
      createdAt: eventOutbox.createdAt,
    })
    .from(d)
    .innerJoin(eventOutbox, eq(eventOutbox.seq, d.eventSeq))
    .where(
      and(
        eq(d.targetId, targetId),
        eq(d.status, "pending"),
        lte(d.nextAttemptAt, sql`now()`),
        busyKeys.length > 0 ? notInArray(d.orderingKey, busyKeys) : undefined,
        notExists(
          db
            .select({ one: sql`1` })
            .from(earlier)
            .where(and(eq(earlier.targetId, d.targetId), eq(earlier.orderingKey, d.orderingKey), eq(earlier.status, "pending"), lt(earlier.eventSeq, d.eventSeq))),
        ),
      ),
    )
    .orderBy(asc(d.eventSeq))
    .limit(limit);
  return rows.map((r) => ({
    deliveryId: r.deliveryId,
    targetId: r.targetId,
    orderingKey: r.orderingKey,
    attempts: r.attempts,
    event: { seq: r.seq, eventId: r.eventId, category: r.category, eventName: r.eventName, customerId: r.customerId, payload: r.payload, createdAt: r.createdAt },
  }));
}

/** The targets with a pending delivery due now: the lanes worth asking (not one query per target every tick). */
export async function targetsWithDueDeliveries(db: RegionalDb): Promise<Set<string>> {
  const rows = await db
    .selectDistinct({ targetId: d.targetId })
    .from(d)
    .where(and(eq(d.status, "pending"), lte(d.nextAttemptAt, sql`now()`)));
  return new Set(rows.map((r) => r.targetId));
}

export async function markDelivered(db: RegionalDb, deliveryId: string): Promise<void> {
  await db
    .update(d)
    .set({ status: "delivered", attempts: sql`${d.attempts} + 1`, lastAttemptAt: sql`now()`, deliveredAt: sql`now()`, lastError: null })
    .where(and(eq(d.deliveryId, deliveryId), eq(d.status, "pending")));
}

/**
 * Records a failed attempt: retried after `retryInMs`, unless the delivery is older than
 * `maxAgeSeconds` (from its created_at, which a replay resets), which makes it dead. Returns
 * the status it is left in.
 */
export async function markFailed(
  db: RegionalDb,
  deliveryId: string,
  error: string,
  opts: { retryInMs: number; maxAgeSeconds: number },
): Promise<"pending" | "dead" | undefined> {
  const expired = sql`${d.createdAt} <= now() - ${opts.maxAgeSeconds} * interval '1 second'`;
  const [row] = await db
    .update(d)
    .set({
      status: sql`case when ${expired} then 'dead' else 'pending' end`,
      attempts: sql`${d.attempts} + 1`,
      lastAttemptAt: sql`now()`,
      lastError: error.slice(0, MAX_ERROR_LENGTH),
      nextAttemptAt: sql`now() + ${opts.retryInMs} * interval '1 millisecond'`,
    })
    .where(and(eq(d.deliveryId, deliveryId), eq(d.status, "pending")))
    .returning({ status: d.status });
  return row?.status as "pending" | "dead" | undefined;
}
