import { apiError, isAppError } from "@s3gw/core";
import type { OffboardingStep } from "@s3gw/schema-regional";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { findHomedCustomer } from "../access/customers.ts";
import { setSuspension } from "../access/customer-suspension.ts";
import { getCryptoShred, protectedObjects, scheduleCryptoShred } from "../keys/crypto-shred.ts";
import { eraseCustomerObjects } from "./offboarding-erase.ts";
import { exportManifest } from "./offboarding-export.ts";
import { advance, claimJob, createJob, failJob, findJob, writeTombstone, type OffboardingJob } from "./offboarding-job.ts";
import { unrouteAtRouter } from "./offboarding-unroute.ts";

export const offboardSchema = z.strictObject({
  reason: z.string().trim().min(1, "a reason is required").max(1000),
  export: z.boolean(),
});
export type OffboardInput = z.infer<typeof offboardSchema>;

/**
 * Starts a customer's offboarding, or resumes its unfinished job (the first request's reason and
 * export choice stand). One job per customer; a job another runner is running is a 409, a
 * completed one too.
 */
export async function startOffboarding(deps: Deps, customerId: string, input: OffboardInput, requestedBy: string): Promise<{ job: OffboardingJob; resumed: boolean }> {
  const customer = await findHomedCustomer(deps, customerId);
  // A move in progress (or done) owns the customer's data here: the move finishes, or is offboarded at its target.
  if (customer.status === "moving_out" || customer.status === "moving_in" || customer.status === "moved") {
    throw apiError.conflict(`customer ${customerId} is ${customer.status.replace("_", " ")} (a region move); it cannot be offboarded here now`);
  }
  const created = await createJob(deps, { customerId, reason: input.reason, exportRequested: input.export, requestedBy });
  if (created) return { job: await runOffboarding(deps, created), resumed: false };
  const claimed = await claimJob(deps, customerId);
  if (claimed) return { job: await runOffboarding(deps, claimed), resumed: true };
  const existing = await findJob(deps.db, customerId);
  if (existing?.status === "completed") throw apiError.conflict(`customer ${customerId} is already offboarded`);
  throw apiError.conflict(`customer ${customerId} is being offboarded right now (step ${existing?.step ?? "?"})`);
}

const NEXT: Record<Exclude<OffboardingStep, "done">, OffboardingStep> = {
  freeze: "export", export: "erase", erase: "shred", shred: "unroute", unroute: "tombstone", tombstone: "done",
};

/**
 * Runs a claimed job from its current step to the end: freeze (suspended, reads refused) →
 * export (a metadata manifest, if asked) → erase (all but what holds and retention protect) →
 * shred (a crypto-shred request, only if nothing is protected) → unroute (global router) →
 * tombstone. Each step's result is committed before the next starts, so a failed run (router
 * down, database away) is resumed where it stopped; the failure is kept on the job and rethrown.
 */
export async function runOffboarding(deps: Deps, job: OffboardingJob): Promise<OffboardingJob> {
  const id = job.customerId;
  let current = job;
  try {
    while (current.step !== "done") {
      const step = current.step;
      if (step === "tombstone") {
        current = await writeTombstone(deps, id);
        break;
      }
      const result = await runStep(deps, current, step);
      current = await advance(deps, id, step, NEXT[step], result);
    }
    deps.logger.info({ customerId: id }, "customer offboarded");
    return current;
  } catch (err) {
    await failJob(deps, id, (err as Error).message).catch(() => {});
    deps.logger.warn({ customerId: id, step: current.step, err: (err as Error).message }, "offboarding stopped; it resumes from this step when started again");
    throw err;
  }
}

async function runStep(deps: Deps, job: OffboardingJob, step: Exclude<OffboardingStep, "done" | "tombstone">): Promise<unknown> {
  const id = job.customerId;
  switch (step) {
    case "freeze":
      // Through the customers row, so every gateway's cache hears of it (pg_notify).
      await setSuspension(deps.db, id, { reason: `offboarding: ${job.reason}`, reads: "refused" }, deps.clock.now());
      return { status: "suspended", reads: "refused" };
    case "export":
      return job.exportRequested ? exportManifest(deps, id) : { skipped: "not requested" };
    case "erase":
      return eraseCustomerObjects(deps, id);
    case "shred":
      return shredStep(deps, job);
    case "unroute":
      return unrouteAtRouter(deps, id);
  }
}

/** Crypto-shredding through the key service's requests (after CRYPTO_SHRED_DELAY_SECONDS, run by the key worker), only when nothing is protected. */
async function shredStep(deps: Deps, job: OffboardingJob): Promise<unknown> {
  const id = job.customerId;
  const held = await protectedObjects(deps.db, id, deps.clock.now());
  if (held > 0) {
    return { skipped: "object versions under legal hold or unexpired retention are kept, so the keys that read them are kept too", protected_object_versions: held };
  }
  try {
    const request = await scheduleCryptoShred({ ctx: deps, input: { customerId: id, reason: `offboarding: ${job.reason}`, requestedBy: job.requestedBy } });
    return { scheduled: true, request_id: request.request_id, execute_after: request.execute_after };
  } catch (err) {
    // A pending request (an earlier run, or an admin's) already does it.
    if (!(isAppError(err) && err.status === 409)) throw err;
    const existing = await getCryptoShred({ ctx: deps, input: { customerId: id } });
    if (existing.status !== "pending" && existing.status !== "executed") throw err;
    return { scheduled: true, request_id: existing.request_id, execute_after: existing.execute_after, reused: true };
  }
}

/** The job as GET shows it, with the crypto-shred request's current state. */
export async function describeOffboarding(deps: Deps, customerId: string) {
  await findHomedCustomer(deps, customerId);
  const job = await findJob(deps.db, customerId);
  if (!job) throw apiError.notFound(`customer ${customerId} has no offboarding job`);
  const shred = await getCryptoShred({ ctx: deps, input: { customerId } }).catch(() => null);
  return { job, shred };
}
