import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const complianceEvents = pgTable(
  "compliance_events",
  {
    eventId: uuid("event_id").primaryKey().defaultRandom(),
    customerId: text("customer_id"),
    eventType: text("event_type").notNull(),
    severity: text("severity").$type<"low" | "medium" | "high" | "critical">().notNull(),
    eventDescription: text("event_description").notNull(),
    bucketName: text("bucket_name"),
    objectKey: text("object_key"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    remediationDeadline: timestamp("remediation_deadline", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    resolutionNote: text("resolution_note"),
    resolvedBy: text("resolved_by"),
    /** Raising the same condition twice (e.g. one anomaly per customer and window) is a no-op. */
    dedupeKey: text("dedupe_key").unique(),
  },
  (t) => [index("compliance_events_open_idx").on(t.customerId, t.resolvedAt)],
);
