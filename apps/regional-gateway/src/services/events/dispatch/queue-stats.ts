import { eventOutbox, notificationDeliveries } from "@s3gw/schema-regional";
import { count, eq, isNull, sql } from "drizzle-orm";
import type { RegionalDb } from "../../../env.ts";

export interface EventQueueStats {
  /** Age of the oldest pending delivery, seconds (0 when none is pending). */
  lagSeconds: number;
  /** Outbox rows not fanned out yet. */
  backlog: number;
  /** Dead deliveries, by target. */
  deadByTarget: Record<string, number>;
}

/** The region's event queue as the database has it, for the metrics scrape (any instance, holder or not). */
export async function eventQueueStats(db: RegionalDb): Promise<EventQueueStats> {
  const [pending] = await db
    .select({ lag: sql<number>`coalesce(extract(epoch from now() - min(${notificationDeliveries.createdAt})), 0)`.mapWith(Number) })
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.status, "pending"));
  const [backlog] = await db.select({ n: count() }).from(eventOutbox).where(isNull(eventOutbox.fannedOutAt));
  const dead = await db
    .select({ targetId: notificationDeliveries.targetId, n: count() })
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.status, "dead"))
    .groupBy(notificationDeliveries.targetId);
  return {
    lagSeconds: Math.max(0, pending?.lag ?? 0),
    backlog: backlog?.n ?? 0,
    deadByTarget: Object.fromEntries(dead.map((r) => [r.targetId, r.n])),
  };
}
