import { startPeriodic } from "../ops/periodic.ts";
import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import { GDPR_NEAR_DEADLINE_DAYS, gdprDeadlineState, OPEN_GDPR_STATUSES } from "@s3gw/core";
import { complianceEvents, dataSubjectRequests } from "@s3gw/schema-regional";
import type { Deps, RegionalDb } from "../../env.ts";
import { raiseComplianceEvent } from "../compliance/compliance-events.ts";
import type { Tx } from "./gdpr.ts";
import { rerunPartialErasures } from "./gdpr-erasure-rerun.ts";
import type { WorkerLease } from "../events/dispatch/lease.ts";

const dedupeKey = (requestId: string, state: "overdue" | "near") => `gdpr:${requestId}:${state}`;

/**
 * Raises one compliance event per open request and condition: `gdpr_deadline_near` (medium)
 * within GDPR_NEAR_DEADLINE_DAYS of the deadline, `gdpr_deadline_overdue` (high) past it.
 * The unique dedupe key makes repeated runs, and concurrent gateways, raise each only once.
 * Events carry the request id, never the data subject's id.
 */
export async function raiseDeadlineAlerts(deps: Pick<Deps, "db" | "clock">): Promise<{ raised: number }> {
  const now = deps.clock.now();
  const horizon = new Date(now.getTime() + GDPR_NEAR_DEADLINE_DAYS * 86_400_000);
  const due = await deps.db
    .select()
    .from(dataSubjectRequests)
    .where(and(inArray(dataSubjectRequests.status, [...OPEN_GDPR_STATUSES]), lt(dataSubjectRequests.responseDeadline, horizon)));
  let raised = 0;
  for (const r of due) {
    // A partial erasure was answered (what could be erased was); it waits on holds and retention, not on the officer.
    if (r.requestType === "erasure" && r.result?.outcome === "partial") continue;
    const state = gdprDeadlineState(r.status, r.responseDeadline, now);
    if (state !== "overdue" && state !== "near") continue;
    const overdue = state === "overdue";
    const inserted = await raiseComplianceEvent(deps.db, now, {
      customerId: r.customerId,
      eventType: overdue ? "gdpr_deadline_overdue" : "gdpr_deadline_near",
      severity: overdue ? "high" : "medium",
      description: overdue
        ? `GDPR ${r.requestType} request ${r.requestId} is past its response deadline ${r.responseDeadline.toISOString()} (Art. 12(3))`
        : `GDPR ${r.requestType} request ${r.requestId} is due by ${r.responseDeadline.toISOString()}`,
      details: { request_id: r.requestId, request_type: r.requestType, received_at: r.receivedAt.toISOString(), response_deadline: r.responseDeadline.toISOString() },
      // Late already: answer (or document an Art. 12(3) extension) within a day.
      remediationDeadline: overdue ? new Date(now.getTime() + 86_400_000) : r.responseDeadline,
      dedupeKey: dedupeKey(r.requestId, state),
    });
    if (inserted) raised++;
  }
  return { raised };
}

/**
 * A request that is answered no longer needs its near-deadline reminder. An overdue event stays
 * open: a late answer is a breach the compliance officer acknowledges with a resolution note.
 */
export async function resolveNearDeadlineAlert(db: RegionalDb | Tx, requestId: string, now: Date, by: string): Promise<void> {
  await db
    .update(complianceEvents)
    .set({ resolvedAt: now, resolvedBy: by, resolutionNote: `data-subject request ${requestId} was closed` })
    .where(and(eq(complianceEvents.dedupeKey, dedupeKey(requestId, "near")), isNull(complianceEvents.resolvedAt)));
}

/**
 * Runs the deadline check, and the re-run of partial erasures whose protections ended, now and
 * every `intervalMs`; the returned function stops it.
 */
export function startGdprDeadlineTimer(deps: Deps, intervalMs: number, lease?: WorkerLease): () => void {
  return startPeriodic("GDPR deadline check", async () => {
    const { raised } = await raiseDeadlineAlerts(deps);
    if (raised) deps.logger.info({ raised }, "GDPR deadline alerts raised");
    const { rerun, completed } = await rerunPartialErasures(deps);
    if (rerun) deps.logger.info({ rerun, completed }, "partial GDPR erasures run again");
  }, intervalMs, deps.logger, { lease });
}
