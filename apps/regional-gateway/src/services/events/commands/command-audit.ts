import type { Deps } from "../../../env.ts";
import type { OperationRow } from "../../audit/audit.ts";
import type { AuditIntent } from "../../audit/audit-intents.ts";

/** Who and what one consumed command's audit rows name. */
export interface CommandRun {
  /** The audit request id shared by every row of the run: `command:<id>`, or the stream position of an unauthenticated message. */
  requestId: string;
  commandId: string | undefined;
  customerId: string | null;
  /** `command:<key id>` for a signed command; null when nothing vouches for the sender. */
  principal: string | null;
  startedAt: number;
}

export interface CommandAuditEntry {
  operation: string;
  result: OperationRow["result"];
  statusCode: number;
  errorCode?: string | null;
  bucket?: string | null;
  key?: string | null;
  info: Record<string, unknown>;
  /** The audit intent the entry's change wrote in its transaction, which the row fulfils. */
  intent?: AuditIntent;
}

/**
 * One operations_log row of a command run, resolved once committed. Commands carry no client
 * address or source country: they come from the operator's broker, not from a client.
 */
export function recordCommandAudit(deps: Pick<Deps, "audit" | "clock">, run: CommandRun, e: CommandAuditEntry): Promise<void> {
  return deps.audit.record({
    requestId: run.requestId,
    customerId: run.customerId,
    operationType: e.operation,
    bucketName: e.bucket ?? null,
    objectKey: e.key ?? null,
    result: e.result,
    statusCode: e.statusCode,
    errorCode: e.errorCode ?? null,
    bytesTransferred: 0,
    sourceIp: null,
    sourceCountry: null,
    crossBorderTransfer: false,
    complianceInfo: run.commandId ? { command_id: run.commandId, ...e.info } : e.info,
    durationMs: Math.round(performance.now() - run.startedAt),
    principal: run.principal,
    createdAt: deps.clock.now(),
    intentId: e.intent?.id,
  });
}
