import { eventOutbox, notificationDeliveries, notificationTargets } from "@s3gw/schema-regional";
import { and, eq, inArray, isNotNull, lt, notExists, notInArray, sql } from "drizzle-orm";
import type { RegionalDb } from "../../../env.ts";

/** Outbox rows removed per statement: a large backlog of old events is trimmed a slice per run. */
const DELETE_BATCH = 1000;

/**
 * Forgets events whose every delivery is finished (delivered or refused) once they are older
 * than the retention; an event fanned out to no target at all likewise. Its deliveries go with
 * it (cascade). A dead delivery keeps its event, for the deliveries API and a replay.
 */
export async function deleteFinishedEvents(db: RegionalDb, retentionHours: number): Promise<number> {
  const unfinished = db
    .select({ one: sql`1` })
    .from(notificationDeliveries)
    .where(and(eq(notificationDeliveries.eventSeq, eventOutbox.seq), notInArray(notificationDeliveries.status, ["delivered", "refused"])));
  const old = db
    .select({ seq: eventOutbox.seq })
    .from(eventOutbox)
    .where(and(isNotNull(eventOutbox.fannedOutAt), lt(eventOutbox.createdAt, sql`now() - ${retentionHours} * interval '1 hour'`), notExists(unfinished)))
    .limit(DELETE_BATCH);
  const deleted = await db.delete(eventOutbox).where(inArray(eventOutbox.seq, old)).returning({ seq: eventOutbox.seq });
  return deleted.length;
}

/** Pending deliveries of a deleted target would wait forever: they are dead, with the reason. */
export async function killDeliveriesOfDeletedTargets(db: RegionalDb): Promise<number> {
  const deleted = db.select({ id: notificationTargets.targetId }).from(notificationTargets).where(isNotNull(notificationTargets.deletedAt));
  const rows = await db
    .update(notificationDeliveries)
    .set({ status: "dead", lastError: "the target was deleted" })
    .where(and(eq(notificationDeliveries.status, "pending"), inArray(notificationDeliveries.targetId, deleted)))
    .returning({ id: notificationDeliveries.deliveryId });
  return rows.length;
}
