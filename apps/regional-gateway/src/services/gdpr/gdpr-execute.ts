import { apiError, EXECUTABLE_GDPR_TYPES } from "@s3gw/core";
import type { Deps } from "../../env.ts";
import { findDsr, type DsrRow } from "./gdpr.ts";
import { executeErasure } from "./gdpr-erasure.ts";
import { contentPolicy } from "./gdpr-export.ts";
import { executeRestriction } from "./gdpr-restriction.ts";
import { subjectCursor, subjectObjectPage, subjectTotals, type Subject, type SubjectCursor } from "./gdpr-subject.ts";
import { assertOpen, completeDsr, lockDsr } from "./gdpr-tracking.ts";

export interface Execution { row: DsrRow; info: Record<string, unknown> }

/** Carries out an access, portability, erasure or restriction request and closes it. */
export async function executeDsr(deps: Deps, id: string, scope: string | undefined, by: string): Promise<Execution> {
  const { requestType } = await findDsr(deps.db, id, scope);
  if (!EXECUTABLE_GDPR_TYPES.includes(requestType)) {
    throw apiError.badRequest(`a ${requestType} request is tracked, not executed: update it with PATCH /api/gdpr/requests/${id}`);
  }
  if (requestType === "erasure") return executeErasure(deps, id, scope, by);
  if (requestType === "restriction") return executeRestriction(deps, id, scope, by);
  return prepareExport(deps, id, scope, by);
}

/**
 * Arts. 15 and 20: closes the request with what its export holds at this moment (object list
 * and counts). The file itself is produced on download, from the data as it is then.
 */
async function prepareExport(deps: Deps, id: string, scope: string | undefined, by: string): Promise<Execution> {
  const now = deps.clock.now();
  const row = await deps.db.transaction(async (tx) => {
    const req = await lockDsr(tx, id, scope);
    assertOpen(req);
    const s: Subject = { customerId: req.customerId, dataSubjectId: req.dataSubjectId };
    const totals = await subjectTotals(tx, s);
    const affected: { bucket: string; key: string; version_id: string; sha256: string; size: number }[] = [];
    let after: SubjectCursor | undefined;
    for (;;) {
      const page = await subjectObjectPage(tx, s, after, 1000);
      for (const o of page) affected.push({ bucket: o.bucketName, key: o.objectKey, version_id: o.versionId, sha256: o.sha256, size: o.sizeBytes });
      if (page.length < 1000) break;
      after = subjectCursor(page[page.length - 1]!);
    }
    const content = contentPolicy(req.requestType, totals.bytes);
    return completeDsr(
      tx,
      req,
      {
        affected,
        result: {
          export: {
            objects: affected.length,
            operations_log_entries: totals.logEntries,
            total_bytes: totals.bytes,
            content_included: content.included,
            ...(content.note ? { content_note: content.note } : {}),
            download: `/api/gdpr/requests/${id}/export`,
            prepared_at: now.toISOString(),
          },
        },
      },
      by,
      now,
    );
  });
  const exp = row.result?.export as { objects: number; operations_log_entries: number };
  return { row, info: { request_id: id, request_type: row.requestType, objects: exp.objects, operations_log_entries: exp.operations_log_entries } };
}
