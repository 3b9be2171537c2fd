import { apiError, isAppError } from "@s3gw/core";
import type { Deps } from "../../../env.ts";
import { findCustomer } from "../../access/customers.ts";
import { startOffboarding } from "../../offboarding/offboarding.ts";
import { findJob } from "../../offboarding/offboarding-job.ts";
import { recordCommandAudit, type CommandRun } from "./command-audit.ts";
import type { Command, CustomerOffboardCommand } from "./message.ts";
import { claimProcessed, markProcessedDone } from "./processed.ts";
import type { CommandOutcome } from "./run-command.ts";

type Run = CommandRun & { principal: string };

/**
 * `customer.offboard`: the same resumable job as POST /api/customers/:id/offboard, by the
 * command's key. The command's id is taken first; a run that stops (router down) throws, so the
 * consumer redelivers it, and the redelivery resumes the job where it stopped.
 */
export async function runOffboardCommand(deps: Deps, cmd: CustomerOffboardCommand, run: Run): Promise<CommandOutcome> {
  const customer = await findCustomer(deps.db, cmd.customer_id);
  if (!customer || customer.regionId !== deps.config.region.region_id) {
    const detail = { code: "NoSuchCustomer", reason: `customer ${cmd.customer_id} is not registered in region ${deps.config.region.region_id}` };
    await claimProcessed(deps.db, { eventId: cmd.id, command: cmd.type, outcome: "refused", detail, now: deps.clock.now() });
    await recordCommandAudit(deps, run, { operation: `Command:${cmd.type}`, result: "denied", statusCode: 404, errorCode: detail.code, info: detail });
    return "refused";
  }
  if (!(await claimProcessed(deps.db, { eventId: cmd.id, command: cmd.type, outcome: "done", detail: {}, now: deps.clock.now() }))) return "duplicate";
  return offboard(deps, cmd, run, false);
}

/** A redelivery (or a duplicate) of an offboarding command: runs the job on if it is unfinished, else acknowledges. */
export async function resumeOffboardCommand(deps: Deps, cmd: Command, run: Run, priorOutcome: string): Promise<CommandOutcome> {
  const job = await findJob(deps.db, cmd.customer_id);
  if (priorOutcome === "dead_lettered") await markProcessedDone(deps.db, cmd.id);
  if (job?.status === "completed" || cmd.type !== "customer.offboard") return "duplicate";
  return offboard(deps, cmd, run, true);
}

async function offboard(deps: Deps, cmd: CustomerOffboardCommand, run: Run, redelivered: boolean): Promise<CommandOutcome> {
  const operation = `Command:${cmd.type}`;
  try {
    const { job, resumed } = await startOffboarding(deps, cmd.customer_id, { reason: cmd.data.reason, export: cmd.data.export }, run.principal);
    await recordCommandAudit(deps, run, { operation, result: "success", statusCode: 200, info: { type: cmd.type, resumed, redelivered, status: job.status, step: job.step } });
    return "done";
  } catch (err) {
    // Not this region's customer, or already offboarded: nothing to retry.
    if (isAppError(err) && (err.status === 404 || (err.status === 409 && (await findJob(deps.db, cmd.customer_id))?.status === "completed"))) {
      await recordCommandAudit(deps, run, { operation, result: "denied", statusCode: err.status, errorCode: err.code, info: { type: cmd.type, reason: err.message } });
      return "refused";
    }
    throw err instanceof Error ? err : apiError.unavailable(String(err));
  }
}
