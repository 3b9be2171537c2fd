import { eventOutbox } from "@s3gw/schema-regional";
import type { ComplianceEventKind, ComplianceEventPayload, ObjectEventPayload, S3EventName } from "@s3gw/core";
import type { RegionalDb, RegionalTx } from "../../env.ts";

type Writer = RegionalDb | RegionalTx;

/**
 * The one writer of `event_outbox`. Callers pass the transaction of the change the event
 * describes, so the event commits with it or not at all.
 */
export async function insertObjectEvent(
  tx: Writer,
  e: { customerId: string; bucketId: string; key: string; eventName: S3EventName; targetIds: string[]; payload: ObjectEventPayload; now: Date },
): Promise<void> {
  if (e.targetIds.length === 0) return;
  await tx.insert(eventOutbox).values({
    category: "s3",
    eventName: e.eventName,
    customerId: e.customerId,
    orderingKey: `${e.bucketId}/${e.key}`,
    targetIds: e.targetIds,
    payload: e.payload as unknown as Record<string, unknown>,
    createdAt: e.now,
  });
}

/**
 * A compliance event. Ordered per customer (or per region for region-wide events), and per
 * object where it names one, so one object's verified/mismatch events arrive in order.
 */
export async function insertComplianceEvent(
  tx: Writer,
  e: { customerId: string | null; kind: ComplianceEventKind; payload: ComplianceEventPayload; now: Date },
): Promise<void> {
  const subject = e.payload.subject;
  const orderingKey = subject?.bucket && subject.key ? `${e.customerId}/${subject.bucket}/${subject.key}` : `customer:${e.customerId ?? "*"}`;
  await tx.insert(eventOutbox).values({
    category: "compliance",
    eventName: e.kind,
    customerId: e.customerId,
    orderingKey,
    targetIds: null,
    payload: e.payload as unknown as Record<string, unknown>,
    createdAt: e.now,
  });
}
