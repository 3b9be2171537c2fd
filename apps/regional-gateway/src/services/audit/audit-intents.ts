import { randomUUID } from "node:crypto";
import { auditIntents } from "@s3gw/schema-regional";
import { sql } from "drizzle-orm";
import { Statement } from "@s3gw/db";
import type { RegionalTx } from "../../env.ts";

/**
 * Who promises an object change's audit row: the request (or worker run) and the operation its
 * row will name. `id` is drawn by the gateway and travels with the row (OperationRow.intentId):
 * the writer deletes the intent in the statement that appends that row.
 */
export interface AuditIntent {
  id: string;
  requestId: string;
  operation: string;
  /** The status the change answers with when all goes well. */
  statusCode: number;
}

/** What a request's handler knows of it: the audit middleware appends its row with `intentId`. */
export interface IntentSource { requestId: string; operation: string; intentId?: string }

/**
 * The request's intent: one per request, however many changes it commits (DeleteObjects), so
 * its one row covers them all. The id is kept on the operation record for the middleware.
 */
export function requestIntent(op: IntentSource, statusCode: number): AuditIntent {
  op.intentId ??= randomUUID();
  return { id: op.intentId, requestId: op.requestId, operation: op.operation, statusCode };
}

/** A worker's intent for one change of its run, whose own row it appends with this id. */
export function workerIntent(requestId: string, operation: string, statusCode = 204): AuditIntent {
  return { id: randomUUID(), requestId, operation, statusCode };
}

// The second change of a DeleteObjects request finds the request's intent written: one is enough.
const insertIntent = Statement.of<{ intentId: string; requestId: string; customerId: string; operationType: string; bucketName: string; objectKey: string; versionId: string | null; statusCode: number }, unknown>((db) =>
  db.insert(auditIntents).values({
    intentId: sql.placeholder("intentId"),
    requestId: sql.placeholder("requestId"),
    customerId: sql.placeholder("customerId"),
    operationType: sql.placeholder("operationType"),
    bucketName: sql.placeholder("bucketName"),
    objectKey: sql.placeholder("objectKey"),
    versionId: sql.placeholder("versionId"),
    statusCode: sql.placeholder("statusCode"),
    // The database's clock, as recovery's bound: gateway instances' clocks may disagree.
    createdAt: sql`now()`,
  }).onConflictDoNothing(),
);

/** Writes the intent inside the change's transaction: it commits exactly when the change does. */
export function recordIntent(
  tx: RegionalTx,
  intent: AuditIntent,
  change: { customerId: string; bucketName: string; key: string; versionId: string | undefined },
): Promise<unknown> {
  return insertIntent.run(tx, {
    intentId: intent.id,
    requestId: intent.requestId,
    customerId: change.customerId,
    operationType: intent.operation,
    bucketName: change.bucketName,
    objectKey: change.key,
    versionId: change.versionId ?? null,
    statusCode: intent.statusCode,
  });
}
