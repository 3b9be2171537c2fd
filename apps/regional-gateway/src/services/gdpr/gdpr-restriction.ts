import { and, eq, inArray, isNull, ne, notInArray, sql } from "drizzle-orm";
import { apiError } from "@s3gw/core";
import { dataSubjectRequests, objectMetadata } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import type { DsrRow, Tx } from "./gdpr.ts";
import { subjectObjects } from "./gdpr-subject.ts";
import { assertOpen, completeDsr, lockDsr } from "./gdpr-tracking.ts";

interface Marked { object_id: string; bucket: string; key: string }

const marked = { object_id: objectMetadata.objectId, bucket: objectMetadata.bucketName, key: objectMetadata.objectKey };

/** Art. 18: marks the subject's objects so ordinary reads (GetObject, HeadObject) are refused until lifted. */
export async function executeRestriction(deps: Deps, id: string, scope: string | undefined, by: string) {
  const now = deps.clock.now();
  const row = await deps.db.transaction(async (tx) => {
    const req = await lockDsr(tx, id, scope);
    assertOpen(req);
    const objects: Marked[] = await tx
      .update(objectMetadata)
      .set({ processingRestricted: true })
      .where(subjectObjects({ customerId: req.customerId, dataSubjectId: req.dataSubjectId }))
      .returning(marked);
    return completeDsr(
      tx,
      req,
      {
        affected: objects,
        result: {
          restricted: objects.map(({ bucket, key }) => ({ bucket, key })),
          note: `reads of ${objects.length} object(s) are refused until POST /api/gdpr/requests/${id}/lift; objects written later are not restricted`,
          lifted: null,
        },
      },
      by,
      now,
    );
  });
  return { row, info: { request_id: id, request_type: "restriction", restricted: row.affectedObjects.length } };
}

/** Object ids still held by another restriction of the same subject that has not been lifted. */
async function heldElsewhere(tx: Tx, req: DsrRow): Promise<string[]> {
  const others = await tx
    .select({ affected: dataSubjectRequests.affectedObjects })
    .from(dataSubjectRequests)
    .where(
      and(
        eq(dataSubjectRequests.customerId, req.customerId),
        eq(dataSubjectRequests.dataSubjectId, req.dataSubjectId),
        eq(dataSubjectRequests.requestType, "restriction"),
        eq(dataSubjectRequests.status, "completed"),
        ne(dataSubjectRequests.requestId, req.requestId),
        isNull(sql`${dataSubjectRequests.result}->'lifted'->>'at'`),
      ),
    );
  return others.flatMap((o) => (o.affected as Marked[]).map((m) => m.object_id));
}

/**
 * Lifts an executed restriction: clears the mark on the objects this request restricted, except
 * those another still-active restriction of the same subject also covers. The request stays
 * completed; `result.lifted` records when, by whom and which objects became readable again.
 */
export async function liftRestriction(deps: Deps, id: string, scope: string | undefined, by: string) {
  const now = deps.clock.now();
  const row = await deps.db.transaction(async (tx) => {
    const req = await lockDsr(tx, id, scope);
    if (req.requestType !== "restriction") throw apiError.badRequest(`only a restriction request can be lifted; ${id} is ${req.requestType}`);
    if (req.status !== "completed") throw apiError.conflict(`restriction ${id} is ${req.status}; execute it before lifting it`);
    if ((req.result?.lifted as { at?: string } | null | undefined)?.at) throw apiError.conflict(`restriction ${id} was already lifted`);
    const ids = (req.affectedObjects as Marked[]).map((m) => m.object_id);
    const keep = await heldElsewhere(tx, req);
    const freed: Marked[] = ids.length
      ? await tx
          .update(objectMetadata)
          .set({ processingRestricted: false })
          .where(and(eq(objectMetadata.customerId, req.customerId), inArray(objectMetadata.objectId, ids), keep.length ? notInArray(objectMetadata.objectId, keep) : undefined))
          .returning(marked)
      : [];
    const lifted = { at: now.toISOString(), by, objects: freed.map(({ bucket, key }) => ({ bucket, key })), still_restricted_by_other_requests: keep.filter((k) => ids.includes(k)).length };
    const [updated] = await tx
      .update(dataSubjectRequests)
      .set({ result: { ...(req.result ?? {}), lifted }, updatedAt: now })
      .where(eq(dataSubjectRequests.requestId, id))
      .returning();
    return updated!;
  });
  return { row, info: { request_id: id, request_type: "restriction", lifted: ((row.result?.lifted as { objects: unknown[] }).objects ?? []).length } };
}
