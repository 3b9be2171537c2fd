import { isAppError } from "@s3gw/core";
import type { Deps } from "../../../env.ts";
import { findHomedCustomer } from "../../access/customers.ts";
import { createDsr, findDsr } from "../../gdpr/gdpr.ts";
import { executeDsr } from "../../gdpr/gdpr-execute.ts";
import { recordCommandAudit, type CommandRun } from "./command-audit.ts";
import type { SubjectErasureCommand } from "./message.ts";
import { claimProcessed, setProcessedDetail } from "./processed.ts";

/**
 * `subject.erasure`: an Art. 17 request created and executed exactly as a compliance officer
 * does it through /api/gdpr (same services, so holds and retention keep what they protect and
 * the request stays open while they do; same audit rows, by the command's key).
 *
 * The request and the command's processed_events row commit together, so a command creates
 * one request whatever its redeliveries. Execution is its own transaction (the GDPR service
 * owns it), so the at-least-once window is between those two commits: a crash there leaves
 * the request pending, and the next delivery of the command (or of any duplicate) finds the
 * row and executes the pending request; a request already executed is not run again.
 */
export async function runSubjectErasure(deps: Deps, cmd: SubjectErasureCommand, run: CommandRun & { principal: string }): Promise<Record<string, unknown>> {
  const customer = await findHomedCustomer(deps, cmd.customer_id);
  const now = deps.clock.now();
  const requestId = await deps.db.transaction(async (tx) => {
    if (!(await claimProcessed(tx, { eventId: cmd.id, command: cmd.type, outcome: "done", detail: {}, now }))) return undefined;
    const notes = `created by command ${cmd.id}${cmd.data.reason ? `: ${cmd.data.reason}` : ""}`;
    const row = await createDsr(tx, customer, { customer_id: customer.customerId, data_subject_id: cmd.data.data_subject_id, request_type: "erasure", notes }, run.principal, now);
    await setProcessedDetail(tx, cmd.id, { request_id: row.requestId });
    return row.requestId;
  });
  // A duplicate running at the same moment took the id first: it carries the command out.
  if (!requestId) return { duplicate: true };
  // As the API's audit: the subject's id stays out of the append-only log.
  await recordCommandAudit(deps, run, { operation: "CreateDataSubjectRequest", result: "success", statusCode: 201, info: { request_id: requestId, request_type: "erasure" } });
  const done = await executePendingErasure(deps, requestId, run);
  return done.executed ? done.info : { duplicate: true };
}

/**
 * Executes the command's request unless something (another copy of the command, an officer)
 * already did. Two copies that both find it pending are ordered by the request's row lock in
 * the GDPR service: the second finds it completed and leaves it (or, if the first run was
 * partial because of holds, runs it again as the periodic re-run would, erasing only what is
 * no longer protected: the request records both runs).
 */
export async function executePendingErasure(deps: Deps, requestId: string, run: CommandRun & { principal: string }): Promise<{ executed: boolean; info: Record<string, unknown> }> {
  const pending = async () => (await findDsr(deps.db, requestId, undefined)).status === "pending";
  if (!(await pending())) return { executed: false, info: {} };
  let info: Record<string, unknown>;
  try {
    ({ info } = await executeDsr(deps, requestId, undefined, run.principal));
  } catch (err) {
    if (isAppError(err) && err.status === 409 && !(await pending())) return { executed: false, info: {} };
    throw err;
  }
  await recordCommandAudit(deps, run, { operation: "ExecuteDataSubjectRequest", result: "success", statusCode: 200, info });
  return { executed: true, info };
}
