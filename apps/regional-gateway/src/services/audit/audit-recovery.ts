import { auditIntents } from "@s3gw/schema-regional";
import { asc, lt, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { OperationRow } from "./audit.ts";

/** Intents recovered per run at most: a run's memory and its batch stay bounded; the next run takes the rest. */
const RECOVERY_PAGE = 500;

export interface RecoveryReport { recovered: number }

/**
 * Appends the missing audit row of every object change whose intent is older than `afterMs`:
 * the change committed (the intent commits only with it) but its request's row was never
 * written — the database failed or the process died between the two, and the client was
 * answered 5xx or not at all. Until `afterMs` an intent is a row on its way (the writer deletes
 * it with the row), so the bound must exceed any request's time from commit to audit row.
 * Each row goes through the one audit writer, which deletes the intent in the statement that
 * appends it: a run that fails part way leaves the rest for the next. Run under a lease (one
 * instance per region): two recoverers reading the same intent would both append a row.
 */
export async function recoverAuditIntents(deps: Pick<Deps, "db" | "audit" | "clock" | "logger">, afterMs: number): Promise<RecoveryReport> {
  // Aged by the database's clock, which wrote created_at: gateway instances' clocks may disagree.
  const due = await deps.db.select().from(auditIntents)
    .where(lt(auditIntents.createdAt, sql`now() - ${afterMs} * interval '1 millisecond'`))
    .orderBy(asc(auditIntents.createdAt))
    .limit(RECOVERY_PAGE);
  // Recorded together, so the writer appends them in one or a few batches.
  const now = deps.clock.now();
  await Promise.all(due.map((intent) => deps.audit.record(recoveredRow(intent, now))));
  if (due.length > 0) deps.logger.warn({ recovered: due.length, requestIds: due.slice(0, 20).map((i) => i.requestId) }, "audit rows recovered from intents: changes had committed without their row");
  return { recovered: due.length };
}

function recoveredRow(intent: typeof auditIntents.$inferSelect, now: Date): OperationRow {
  return {
    requestId: intent.requestId,
    customerId: intent.customerId,
    operationType: intent.operationType,
    bucketName: intent.bucketName,
    objectKey: intent.objectKey,
    // The change committed: its result is its own, whatever the client was told.
    result: "success",
    statusCode: intent.statusCode,
    errorCode: null,
    bytesTransferred: 0,
    sourceIp: null,
    sourceCountry: null,
    crossBorderTransfer: false,
    complianceInfo: {
      recovered: true,
      reason: "the change committed but its request's audit row was not written; the client may have been answered 5xx",
      committed_at: intent.createdAt.toISOString(),
      ...(intent.versionId !== null ? { version_id: intent.versionId } : {}),
    },
    durationMs: 0,
    principal: null,
    createdAt: now,
    intentId: intent.intentId,
  };
}
