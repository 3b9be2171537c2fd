import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { OPEN_GDPR_STATUSES } from "@s3gw/core";
import { dataSubjectRequests, objectMetadata } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import { executeErasure } from "./gdpr-erasure.ts";
import { subjectObjects, type Subject } from "./gdpr-subject.ts";

const PRINCIPAL = "gdpr-erasure-rerun";

/** Whether the subject has a version no hold or unexpired retention protects (one that a run would erase now). */
async function hasErasable(deps: Pick<Deps, "db">, s: Subject, now: Date): Promise<boolean> {
  const [row] = await deps.db
    .select({ id: objectMetadata.objectId })
    .from(objectMetadata)
    .where(and(subjectObjects(s), eq(objectMetadata.legalHold, false), or(isNull(objectMetadata.retentionUntil), lte(objectMetadata.retentionUntil, now))))
    .limit(1);
  return row !== undefined;
}

/**
 * Runs every partially executed erasure again whose subject now has something erasable (a hold
 * lifted, a retention expired, or a new object written for the subject since). Each run is
 * audited like an officer's execution; a request whose versions are all still protected is
 * left as it is. Called from the periodic GDPR check.
 */
export async function rerunPartialErasures(deps: Deps): Promise<{ rerun: number; completed: number }> {
  const now = deps.clock.now();
  const open = await deps.db
    .select({ id: dataSubjectRequests.requestId, customerId: dataSubjectRequests.customerId, dataSubjectId: dataSubjectRequests.dataSubjectId })
    .from(dataSubjectRequests)
    .where(and(
      eq(dataSubjectRequests.requestType, "erasure"),
      inArray(dataSubjectRequests.status, [...OPEN_GDPR_STATUSES]),
      sql`${dataSubjectRequests.result}->>'outcome' = 'partial'`,
    ));
  let rerun = 0;
  let completed = 0;
  for (const r of open) {
    if (!(await hasErasable(deps, r, now))) continue;
    const started = Date.now();
    const { row, info } = await executeErasure(deps, r.id, undefined, PRINCIPAL);
    rerun++;
    if (row.status === "completed") completed++;
    await deps.audit.record({
      requestId: `gdpr-rerun-${randomUUID()}`, customerId: r.customerId, operationType: "ExecuteDataSubjectRequest", bucketName: null, objectKey: null,
      result: "success", statusCode: 200, errorCode: null, bytesTransferred: 0, sourceIp: null, sourceCountry: null, crossBorderTransfer: false,
      complianceInfo: { ...info, trigger: "protections ended" }, durationMs: Date.now() - started, principal: PRINCIPAL, createdAt: now,
    });
  }
  return { rerun, completed };
}
