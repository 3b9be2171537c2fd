import type { DsrRow, Tx } from "./gdpr.ts";
import { insertComplianceEvent } from "../events/outbox.ts";

/** `gdpr.request.created` / `.completed`, in the transaction that created or closed the request. */
export function publishDsrEvent(tx: Tx, kind: "gdpr.request.created" | "gdpr.request.completed", row: DsrRow, now: Date): Promise<void> {
  return insertComplianceEvent(tx, {
    customerId: row.customerId,
    kind,
    now,
    payload: {
      severity: "medium",
      description: `GDPR ${row.requestType} request ${kind === "gdpr.request.created" ? "received" : "completed"}`,
      subject: { request_id: row.requestId },
      data: {
        request_type: row.requestType,
        data_subject_id: row.dataSubjectId,
        status: row.status,
        response_deadline: row.responseDeadline.toISOString(),
        ...(row.completedAt ? { completed_at: row.completedAt.toISOString() } : {}),
        ...(row.affectedObjects ? { affected_objects: Array.isArray(row.affectedObjects) ? row.affectedObjects.length : 0 } : {}),
      },
    },
  });
}
