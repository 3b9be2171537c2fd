import { complianceEvents } from "@s3gw/schema-regional";
import type { ComplianceEventKind } from "@s3gw/core";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { RegionalDb, RegionalTx } from "../../env.ts";
import { insertComplianceEvent } from "../events/outbox.ts";

export type ComplianceEventRow = typeof complianceEvents.$inferSelect;
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;

/**
 * Dedupe keys of conditions that persist until fixed (an object on the wrong storage) are
 * released when the event is resolved, so the condition, if still there, raises a new event.
 * Keys of occurrences (an anomaly window, an hour of cross-border attempts) are kept for good.
 */
const RELEASED_ON_RESOLVE = ["residency:"];

export interface NewComplianceEvent {
  customerId: string | null;
  eventType: string;
  severity: (typeof SEVERITIES)[number];
  description: string;
  bucketName?: string;
  objectKey?: string;
  details?: Record<string, unknown>;
  /** Hours from now to fix it; or a fixed `remediationDeadline` instead. */
  remediationHours?: number;
  remediationDeadline?: Date;
  /** Raising an event with a key already raised is a no-op (see RELEASED_ON_RESOLVE). */
  dedupeKey?: string;
  /** What an operator should do about it, sent with the published event. */
  recommendedAction?: string;
}

/** The published (`s3gw.compliance/v1`) kind of each compliance_events type; the others are not published. */
const PUBLISHED_KINDS: Record<string, ComplianceEventKind> = {
  data_residency_violation: "residency.violation",
  integrity_mismatch: "integrity.mismatch",
  unusual_activity: "anomaly.unusual_activity",
  cross_border_access_blocked: "cross_border.blocked",
  customer_storage_unavailable: "customer_storage.unhealthy",
  gdpr_deadline_near: "gdpr.request.deadline_near",
  gdpr_deadline_overdue: "gdpr.request.overdue",
  crypto_shred_executed: "crypto_shred.executed",
};

/** Writes the outbox row of a raised event, in the transaction that raised it. */
export async function publishRaisedEvent(tx: RegionalTx, now: Date, e: NewComplianceEvent, complianceEventId: string): Promise<void> {
  const kind = PUBLISHED_KINDS[e.eventType];
  if (!kind) return;
  const deadline = eventValues(now, e).remediationDeadline;
  await insertComplianceEvent(tx, {
    customerId: e.customerId,
    kind,
    now,
    payload: {
      severity: e.severity,
      description: e.description,
      ...(e.bucketName || e.objectKey ? { subject: { ...(e.bucketName ? { bucket: e.bucketName } : {}), ...(e.objectKey ? { key: e.objectKey } : {}) } } : {}),
      data: { ...(e.details ?? {}), compliance_event_id: complianceEventId, remediation_deadline: deadline?.toISOString() ?? null },
      ...(e.recommendedAction ? { recommended_action: e.recommendedAction } : {}),
    },
  });
}

/** The row for one new event, for raiseComplianceEvent or a batch insert. */
export function eventValues(now: Date, e: NewComplianceEvent) {
  return {
    customerId: e.customerId,
    eventType: e.eventType,
    severity: e.severity,
    eventDescription: e.description,
    bucketName: e.bucketName ?? null,
    objectKey: e.objectKey ?? null,
    details: e.details ?? {},
    remediationDeadline: e.remediationDeadline ?? (e.remediationHours ? new Date(now.getTime() + e.remediationHours * 3_600_000) : null),
    createdAt: now,
    dedupeKey: e.dedupeKey ?? null,
  };
}

/**
 * Raises an event, unless it has a dedupe key and one with the same key exists. The unique
 * key makes this safe across gateway instances sharing the region's database. Returns whether
 * the event was inserted.
 */
export async function raiseComplianceEvent(db: RegionalDb, now: Date, e: NewComplianceEvent): Promise<boolean> {
  // The event and its published copy commit together, or neither does.
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(complianceEvents)
      .values(eventValues(now, e))
      .onConflictDoNothing({ target: complianceEvents.dedupeKey })
      .returning({ id: complianceEvents.eventId });
    if (row) await publishRaisedEvent(tx, now, e, row.id);
    return row !== undefined;
  });
}

export interface OpenEventsQuery {
  customerId: string | undefined;
  severity: (typeof SEVERITIES)[number] | undefined;
  limit: number;
  after: { t: string; id: string } | undefined;
}

/** Open events, newest first, keyset-paginated on (created_at, event_id). */
export async function listOpenEvents(db: RegionalDb, q: OpenEventsQuery) {
  const e = complianceEvents;
  const conds = [isNull(e.resolvedAt)];
  if (q.customerId !== undefined) conds.push(eq(e.customerId, q.customerId));
  if (q.severity !== undefined) conds.push(eq(e.severity, q.severity));
  // created_at travels as Postgres text so microsecond timestamps page exactly.
  if (q.after) conds.push(sql`(${e.createdAt}, ${e.eventId}) < (${q.after.t}::timestamptz, ${q.after.id}::uuid)`);
  const rows = await db
    .select({ row: e, ts: sql<string>`${e.createdAt}::text` })
    .from(e)
    .where(and(...conds))
    .orderBy(desc(e.createdAt), desc(e.eventId))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { rows: page.map((r) => r.row), next: rows.length > q.limit && last ? { t: last.ts, id: last.row.eventId } : undefined };
}

export async function findEvent(db: RegionalDb, eventId: string): Promise<ComplianceEventRow | undefined> {
  const [row] = await db.select().from(complianceEvents).where(eq(complianceEvents.eventId, eventId)).limit(1);
  return row;
}

/** Resolves an open event; undefined when it was already resolved (by this or a concurrent call). */
export async function resolveEvent(db: RegionalDb, now: Date, eventId: string, note: string, by: string): Promise<ComplianceEventRow | undefined> {
  const e = complianceEvents;
  const released = sql.join(
    RELEASED_ON_RESOLVE.map((p) => sql`${e.dedupeKey} like ${`${p}%`}`),
    sql` or `,
  );
  const [row] = await db
    .update(e)
    .set({
      resolvedAt: now,
      resolutionNote: note,
      resolvedBy: by,
      dedupeKey: sql`case when ${released} then ${e.dedupeKey} || ':resolved:' || ${e.eventId}::text else ${e.dedupeKey} end`,
    })
    .where(and(eq(e.eventId, eventId), isNull(e.resolvedAt)))
    .returning();
  return row;
}

export function eventView(r: ComplianceEventRow, now: Date) {
  return {
    event_id: r.eventId,
    customer_id: r.customerId,
    event_type: r.eventType,
    severity: r.severity,
    description: r.eventDescription,
    bucket: r.bucketName,
    key: r.objectKey,
    details: r.details,
    remediation_deadline: r.remediationDeadline?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
    overdue: r.resolvedAt === null && r.remediationDeadline !== null && r.remediationDeadline < now,
    resolved_at: r.resolvedAt?.toISOString() ?? null,
    resolution_note: r.resolutionNote,
    resolved_by: r.resolvedBy,
  };
}
