import { eventMatches, eventTargetDecision } from "@s3gw/core";
import { customers, eventOutbox, notificationDeliveries, notificationTargets } from "@s3gw/schema-regional";
import { asc, inArray, isNull, sql } from "drizzle-orm";
import type { RegionalDb } from "../../../env.ts";
import { subscriptionsOf, type SubscriptionRow } from "../compliance-subscriptions.ts";

export type TargetRow = typeof notificationTargets.$inferSelect;
type OutboxRow = typeof eventOutbox.$inferSelect;
type CustomerResidency = { requirement: "strict" | "jurisdiction" | "flexible"; country: string };

/** Outbox rows turned into deliveries per transaction: bounded, so one tick never holds locks for long. */
export const FAN_OUT_BATCH = 200;

/** The live targets of the region (a deleted target keeps its row but receives nothing). */
export function liveTargets(db: RegionalDb): Promise<TargetRow[]> {
  return db.select().from(notificationTargets).where(isNull(notificationTargets.deletedAt));
}

/** Whether any outbox row waits to be fanned out (a probe of the partial index on pending rows). */
export async function hasBacklog(db: RegionalDb): Promise<boolean> {
  const rows = await db.select({ seq: eventOutbox.seq }).from(eventOutbox).where(isNull(eventOutbox.fannedOutAt)).limit(1);
  return rows.length > 0;
}

/**
 * The targets an event goes to, once each: the ones its bucket's rules matched; for a compliance
 * event, the targets whose own `compliance_events` match its kind and those of the matching
 * subscriptions (region-wide, or for the event's customer).
 */
function targetsOf(row: OutboxRow, targets: TargetRow[], subscriptions: SubscriptionRow[]): TargetRow[] {
  if (row.category === "s3") {
    const wanted = new Set(row.targetIds ?? []);
    return targets.filter((t) => wanted.has(t.targetId));
  }
  const subscribed = new Set(
    subscriptions
      .filter((s) => (s.customerId === null || s.customerId === row.customerId) && s.events.some((p) => eventMatches(p, row.eventName)))
      .map((s) => s.targetId),
  );
  return targets.filter((t) => subscribed.has(t.targetId) || t.complianceEvents.some((p) => eventMatches(p, row.eventName)));
}

/** Why a target may not receive a customer's events, or null when it may. */
function refusal(row: OutboxRow, target: TargetRow, residency: Map<string, CustomerResidency>): string | null {
  if (row.customerId === null) return null;
  const customer = residency.get(row.customerId);
  // A customer row gone (offboarded) leaves nothing to check the rule against: nothing leaves.
  if (!customer) return "the event's customer is unknown in this region: its residency cannot be checked";
  const decision = eventTargetDecision(customer, target.country);
  return decision.allowed ? null : decision.reason;
}

/**
 * Turns the oldest outbox rows not fanned out yet into one delivery per target, in ONE
 * transaction with marking them fanned out: a crash leaves either both or neither. Rows are
 * locked with `skip locked`, so a second fan-out (a lease changing hands mid-tick) takes other
 * rows instead of waiting, and the unique (event, target) index makes a repeat harmless.
 * A target the customer's residency forbids gets a `refused` delivery with the reason: never
 * sent, kept as evidence. Returns the deliveries created, by status.
 */
export async function fanOut(db: RegionalDb, targets: TargetRow[]): Promise<{ events: number; pending: string[]; refused: string[] }> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(eventOutbox)
      .where(isNull(eventOutbox.fannedOutAt))
      .orderBy(asc(eventOutbox.seq))
      .limit(FAN_OUT_BATCH)
      .for("update", { skipLocked: true });
    if (rows.length === 0) return { events: 0, pending: [], refused: [] };
    const customerIds = [...new Set(rows.map((r) => r.customerId).filter((c): c is string => c !== null))];
    const residency = new Map<string, CustomerResidency>();
    if (customerIds.length > 0) {
      const found = await tx
        .select({ customerId: customers.customerId, requirement: customers.dataResidencyRequirement, country: customers.country })
        .from(customers)
        .where(inArray(customers.customerId, customerIds));
      for (const c of found) residency.set(c.customerId, { requirement: c.requirement, country: c.country });
    }
    const compliance = rows.filter((r) => r.category === "compliance");
    const subscriptions =
      compliance.length === 0 ? [] : await subscriptionsOf(tx, [...new Set(compliance.map((r) => r.customerId).filter((c): c is string => c !== null))]);
    const values: (typeof notificationDeliveries.$inferInsert)[] = [];
    for (const row of rows) {
      for (const target of targetsOf(row, targets, subscriptions)) {
        const reason = refusal(row, target, residency);
        values.push({
          eventSeq: row.seq,
          eventId: row.eventId,
          targetId: target.targetId,
          customerId: row.customerId,
          eventName: row.eventName,
          orderingKey: row.orderingKey,
          status: reason === null ? "pending" : "refused",
          lastError: reason,
        });
      }
    }
    if (values.length > 0) await tx.insert(notificationDeliveries).values(values).onConflictDoNothing();
    await tx.update(eventOutbox).set({ fannedOutAt: sql`now()` }).where(inArray(eventOutbox.seq, rows.map((r) => r.seq)));
    return {
      events: rows.length,
      pending: values.filter((v) => v.status === "pending").map((v) => v.targetId),
      refused: values.filter((v) => v.status === "refused").map((v) => v.targetId),
    };
  });
}
