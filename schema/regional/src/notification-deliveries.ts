import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { eventOutbox } from "./event-outbox.ts";
import { notificationTargets } from "./notification-targets.ts";

export const DELIVERY_STATUSES = ["pending", "delivered", "dead", "refused"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event to one target. `pending` until delivered; retried with exponential backoff and
 * jitter up to a maximum age, then `dead` (replayable). `refused` when the residency rule
 * forbids the target for the event's customer: never sent, kept as evidence.
 */
export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    deliveryId: uuid("delivery_id").primaryKey().defaultRandom(),
    eventSeq: bigint("event_seq", { mode: "number" }).notNull().references(() => eventOutbox.seq, { onDelete: "cascade" }),
    eventId: uuid("event_id").notNull(),
    targetId: text("target_id").notNull().references(() => notificationTargets.targetId),
    customerId: text("customer_id"),
    eventName: text("event_name").notNull(),
    orderingKey: text("ordering_key").notNull(),
    status: text("status").$type<DeliveryStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    lastError: text("last_error"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("notification_deliveries_event_target_uq").on(t.eventSeq, t.targetId),
    index("notification_deliveries_due_idx").on(t.targetId, t.orderingKey, t.eventSeq).where(sql`${t.status} = 'pending'`),
    index("notification_deliveries_status_idx").on(t.status, t.createdAt),
  ],
);
