import type { Deps } from "../../../env.ts";
import { recordCommandAudit, type CommandRun } from "./command-audit.ts";
import { resumeOffboardCommand, runOffboardCommand } from "./customer-offboard.ts";
import { runEntityDeleted } from "./entity-deleted.ts";
import type { Command, Refusal } from "./message.ts";
import { claimProcessed, findProcessed, forgetDeadLettered, markProcessedDone } from "./processed.ts";
import { executePendingErasure, runSubjectErasure } from "./subject-erasure.ts";

export type CommandOutcome = "done" | "duplicate" | "refused";

/** Where a delivered message sits in its stream: names the run of a message nothing vouches for. */
export type StreamRef = string;

const REFUSAL_STATUS: Record<Refusal["code"], number> = {
  CommandUnsigned: 401,
  CommandSignatureMalformed: 401,
  CommandUnknownKey: 401,
  CommandSignatureMismatch: 401,
  CommandStale: 401,
  CommandWrongRegion: 403,
  CommandTooLarge: 413,
  CommandMalformed: 400,
};

export function commandRun(cmd: { id?: string | undefined; customerId?: string | undefined; keyId?: string | undefined }, ref: StreamRef): CommandRun {
  return {
    requestId: cmd.id ? `command:${cmd.id}` : `command@${ref}`,
    commandId: cmd.id,
    customerId: cmd.customerId ?? null,
    principal: cmd.keyId ? `command:${cmd.keyId}` : null,
    startedAt: performance.now(),
  };
}

/**
 * A refused command: audited and recorded, never retried. Of a message its signature does not
 * vouch for, only the refusal and the claimed type are kept: not its customer, nor its id.
 */
export async function refuseCommand(deps: Deps, refusal: Refusal, ref: StreamRef): Promise<CommandOutcome> {
  const run = commandRun(refusal.signed ?? {}, ref);
  const detail = { code: refusal.code, reason: refusal.reason, stream_ref: ref, ...(refusal.signed ? { key_id: refusal.signed.keyId } : {}) };
  if (refusal.eventId) await claimProcessed(deps.db, { eventId: refusal.eventId, command: refusal.type, outcome: "refused", detail, now: deps.clock.now() });
  await recordCommandAudit(deps, run, { operation: `Command:${refusal.type}`, result: "denied", statusCode: REFUSAL_STATUS[refusal.code], errorCode: refusal.code, info: detail });
  deps.logger.warn({ code: refusal.code, reason: refusal.reason, streamRef: ref, commandId: refusal.signed?.id }, "command refused");
  return "refused";
}

/**
 * Carries out an admitted command once. A command whose id is already in processed_events is
 * a duplicate, acknowledged without running, with two exceptions: an erasure whose request an
 * earlier delivery created but did not get to execute is executed now (see subject-erasure.ts),
 * an offboarding whose job is unfinished is resumed, and a dead-lettered command published again (once its cause is fixed) runs, as it never
 * ran to the end.
 */
export async function runCommand(deps: Deps, cmd: Command, keyId: string, ref: StreamRef): Promise<CommandOutcome> {
  const run = { ...commandRun({ id: cmd.id, customerId: cmd.customer_id, keyId }, ref), principal: `command:${keyId}` };
  const operation = `Command:${cmd.type}`;
  const prior = await findProcessed(deps.db, cmd.id);
  const requestId = prior?.detail.request_id;
  if (prior && prior.outcome !== "refused" && prior.command === "subject.erasure" && typeof requestId === "string") {
    const done = await executePendingErasure(deps, requestId, run);
    if (prior.outcome === "dead_lettered") await markProcessedDone(deps.db, cmd.id);
    if (!done.executed) return duplicate(deps, cmd, prior.outcome, ref);
    // The run that executes the request is the one that reports the command.
    await recordCommandAudit(deps, run, { operation, result: "success", statusCode: 200, info: { type: cmd.type, resumed: true, ...done.info } });
    return "done";
  }
  // An offboarding an earlier delivery started but did not finish is resumed (customer-offboard.ts).
  if (prior && prior.outcome !== "refused" && prior.command === "customer.offboard") return resumeOffboardCommand(deps, cmd, run, prior.outcome);
  if (prior?.outcome === "dead_lettered") await forgetDeadLettered(deps.db, cmd.id);
  else if (prior) return duplicate(deps, cmd, prior.outcome, ref);
  if (cmd.type === "customer.offboard") return runOffboardCommand(deps, cmd, run);
  const info = cmd.type === "subject.erasure" ? await runSubjectErasure(deps, cmd, run) : await runEntityDeleted(deps, cmd, run);
  if (info.duplicate === true) return "duplicate";
  await recordCommandAudit(deps, run, { operation, result: "success", statusCode: 200, info: { type: cmd.type, ...info } });
  return "done";
}

function duplicate(deps: Deps, cmd: Command, outcome: string, ref: StreamRef): CommandOutcome {
  deps.logger.info({ commandId: cmd.id, type: cmd.type, outcome, streamRef: ref }, "duplicate command acknowledged");
  return "duplicate";
}
