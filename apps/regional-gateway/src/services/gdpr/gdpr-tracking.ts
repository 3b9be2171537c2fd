import { eq } from "drizzle-orm";
import { apiError, EXECUTABLE_GDPR_TYPES, GDPR_STATUSES, OPEN_GDPR_STATUSES, type GdprStatus } from "@s3gw/core";
import { dataSubjectRequests } from "@s3gw/schema-regional";
import { z } from "zod";
import type { RegionalDb } from "../../env.ts";
import { appendNote, noteLine, type DsrRow, type Tx } from "./gdpr.ts";
import { resolveNearDeadlineAlert } from "./gdpr-deadlines.ts";
import { publishDsrEvent } from "./gdpr-events.ts";

export const patchDsrSchema = z
  .strictObject({ status: z.enum(GDPR_STATUSES).optional(), notes: z.string().min(1).max(10_000).optional() })
  .refine((b) => b.status !== undefined || b.notes !== undefined, "give status, notes or both");

export interface HistoryEntry { at: string; by: string; from: GdprStatus; to: GdprStatus; note?: string }

/**
 * Locks the request row for the rest of the transaction, so two officers (or two gateways)
 * acting on one request see each other's outcome instead of both acting.
 */
export async function lockDsr(tx: Tx, id: string, scope: string | undefined): Promise<DsrRow> {
  const [row] = await tx.select().from(dataSubjectRequests).where(eq(dataSubjectRequests.requestId, id)).for("update");
  if (!row || (scope !== undefined && row.customerId !== scope)) throw apiError.notFound(`no data-subject request ${id}`);
  return row;
}

export const isOpen = (s: GdprStatus) => OPEN_GDPR_STATUSES.includes(s);

/**
 * Status and notes of a request. Rectification and objection are decided by people and
 * completed here; executable types complete only through execution (which records what was
 * done), so here they may only be started, put back to pending, or rejected (Art. 12(5)).
 * Notes may be added to closed requests; their status is final.
 */
export async function updateDsr(db: RegionalDb, id: string, scope: string | undefined, body: z.infer<typeof patchDsrSchema>, by: string, now: Date): Promise<DsrRow> {
  return db.transaction(async (tx) => {
    const row = await lockDsr(tx, id, scope);
    const to = body.status;
    if (to !== undefined && to !== row.status) {
      if (!isOpen(row.status)) throw apiError.conflict(`request ${id} is ${row.status}; its status can no longer change`);
      if (to === "completed" && EXECUTABLE_GDPR_TYPES.includes(row.requestType)) {
        throw apiError.badRequest(`a ${row.requestType} request is completed by POST /api/gdpr/requests/${id}/execute, which records what was done`);
      }
    }
    const changed = to !== undefined && to !== row.status;
    const history = ((row.result?.history as HistoryEntry[] | undefined) ?? []).slice();
    if (changed) history.push({ at: now.toISOString(), by, from: row.status, to, ...(body.notes ? { note: body.notes } : {}) });
    const closing = changed && !isOpen(to);
    const [updated] = await tx
      .update(dataSubjectRequests)
      .set({
        status: to ?? row.status,
        notes: appendNote(row.notes, body.notes ? noteLine(now, by, body.notes) : undefined),
        result: changed ? { ...(row.result ?? {}), history } : row.result,
        updatedAt: now,
        completedAt: closing ? now : row.completedAt,
      })
      .where(eq(dataSubjectRequests.requestId, id))
      .returning();
    if (closing) await resolveNearDeadlineAlert(tx, id, now, by);
    if (closing && to === "completed") await publishDsrEvent(tx, "gdpr.request.completed", updated!, now);
    return updated!;
  });
}

/** An executed request is closed: running it again would act twice (or erase what a later request owns). */
export function assertOpen(row: DsrRow): void {
  if (!isOpen(row.status)) throw apiError.conflict(`request ${row.requestId} is already ${row.status}`);
}

/** Closes an executed request, recording exactly what was done, in the transaction that did it. */
export async function completeDsr(tx: Tx, row: DsrRow, done: { affected: unknown[]; result: Record<string, unknown> }, by: string, now: Date): Promise<DsrRow> {
  const history: HistoryEntry[] = [...((row.result?.history as HistoryEntry[] | undefined) ?? []), { at: now.toISOString(), by, from: row.status, to: "completed" }];
  const [updated] = await tx
    .update(dataSubjectRequests)
    .set({ status: "completed", affectedObjects: done.affected, result: { ...done.result, history }, updatedAt: now, completedAt: now })
    .where(eq(dataSubjectRequests.requestId, row.requestId))
    .returning();
  await resolveNearDeadlineAlert(tx, row.requestId, now, by);
  await publishDsrEvent(tx, "gdpr.request.completed", updated!, now);
  return updated!;
}

/**
 * Records a run that could not finish (an erasure with protected versions left): the request
 * stays open as in_progress, with what was done so far, so it is run again rather than forgotten.
 */
export async function keepDsrOpen(tx: Tx, row: DsrRow, done: { affected: unknown[]; result: Record<string, unknown> }, by: string, now: Date): Promise<DsrRow> {
  const history = ((row.result?.history as HistoryEntry[] | undefined) ?? []).slice();
  if (row.status !== "in_progress") history.push({ at: now.toISOString(), by, from: row.status, to: "in_progress", note: "partially executed; run again when the protections end" });
  const [updated] = await tx
    .update(dataSubjectRequests)
    .set({ status: "in_progress", affectedObjects: done.affected, result: { ...done.result, history }, updatedAt: now })
    .where(eq(dataSubjectRequests.requestId, row.requestId))
    .returning();
  return updated!;
}
