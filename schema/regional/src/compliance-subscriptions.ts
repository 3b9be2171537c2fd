import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers.ts";
import { notificationTargets } from "./notification-targets.ts";

/**
 * Who receives which compliance events, made through the compliance API (`/api/compliance/
 * subscriptions`, admin or compliance officer): the target receives the kinds matching
 * `events` of one customer (`customer_id`), or of every customer when it is null (region-wide).
 * This adds to a target's own `compliance_events`; the residency rule of each event's customer
 * still decides, per event, whether it may go there. One subscription per target and customer
 * (or per target region-wide), so the dispatcher never sees two rows to reconcile.
 */
export const complianceSubscriptions = pgTable(
  "compliance_subscriptions",
  {
    subscriptionId: uuid("subscription_id").primaryKey().defaultRandom(),
    targetId: text("target_id").notNull().references(() => notificationTargets.targetId),
    customerId: text("customer_id").references(() => customers.customerId, { onDelete: "cascade" }),
    /** Compliance kinds, families (`gdpr.*`) or `*`. */
    events: jsonb("events").$type<string[]>().notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("compliance_subscriptions_target_customer_uq").on(t.targetId, sql`coalesce(${t.customerId}, '')`),
    // The dispatcher reads the subscriptions of a batch's customers and the region-wide ones.
    index("compliance_subscriptions_customer_idx").on(t.customerId),
  ],
);
