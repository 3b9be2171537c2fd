import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const NOTIFICATION_TARGET_KINDS = ["webhook", "nats"] as const;
export type NotificationTargetKind = (typeof NOTIFICATION_TARGET_KINDS)[number];

/** A webhook target: deliveries are POSTed as JSON, signed with the target's secret. */
export interface WebhookTargetConfig { url: string; timeoutMs: number }
/** A NATS JetStream target: deliveries are published on `subject`, which the stream `stream` must capture. */
export interface NatsTargetConfig { servers: string[]; stream: string; subject: string; timeoutMs: number }

/**
 * Where a region's events go (`POST/GET/DELETE /api/notification-targets`, admin). A bucket's
 * notification configuration names targets by ARN; compliance events go to the targets that
 * subscribe to their kinds. `country` is where the target receives data: the residency rule of
 * a customer decides whether its events may go there. Secrets (the webhook signing secret, NATS
 * credentials) are sealed by the region's master key ring and never returned after creation.
 */
export const notificationTargets = pgTable("notification_targets", {
  targetId: text("target_id").primaryKey(),
  name: text("name").notNull().unique(),
  kind: text("kind").$type<NotificationTargetKind>().notNull(),
  country: text("country").notNull(),
  config: jsonb("config").$type<WebhookTargetConfig | NatsTargetConfig>().notNull(),
  sealedSecret: text("sealed_secret"),
  /** Compliance event kinds this target receives (`*` for all, `gdpr.*` for a family); empty for none. */
  complianceEvents: jsonb("compliance_events").$type<string[]>().notNull().default([]),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  /** A deleted target keeps its row (deliveries name it) but receives nothing. */
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
});
