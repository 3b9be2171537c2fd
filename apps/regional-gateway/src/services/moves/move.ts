import { apiError, REGION_ID_RE } from "@s3gw/core";
import { customerMoves, customers, type MoveStep, type PriorStanding } from "@s3gw/schema-regional";
import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { findHomedCustomer } from "../access/customers.ts";
import { copyMarkers, copyObjects } from "./move-copy.ts";
import { eraseSource } from "./move-erase.ts";
import { advanceMove, claimMove, createMove, failMove, findMove, STALE_RUNNER_MS, touchMove, type MoveJob } from "./move-job.ts";
import { customerManifest } from "./move-manifest.ts";
import { callTarget, lookupRegion, switchRouting, type PeerRegion } from "./move-peer.ts";
import { preflightMove } from "./move-preflight.ts";
import { buildSnapshot } from "./move-snapshot.ts";

export const moveSchema = z.strictObject({ to_region: z.string().regex(REGION_ID_RE, "to_region must be a region id like DE-FRA") });
export type MoveInput = z.infer<typeof moveSchema>;

/** Who asked, for the audit rows each step writes. */
export interface MoveCaller { requestId: string; principal: string }

const NEXT: Record<Exclude<MoveStep, "done">, MoveStep> = {
  fence: "snapshot", snapshot: "objects", objects: "markers", markers: "verify", verify: "switch", switch: "activate", activate: "erase", erase: "done",
};

/**
 * Starts a customer's move to another region, or resumes its unfinished move (to the same
 * region only). One move per customer; one that another runner is running is a 409, as is a
 * finished one.
 */
export async function startMove(deps: Deps, customerId: string, input: MoveInput, caller: MoveCaller): Promise<{ job: MoveJob; resumed: boolean }> {
  const customer = await findHomedCustomer(deps, customerId);
  const existing = await findMove(deps.db, customerId);
  if (existing) {
    if (existing.status === "completed") throw apiError.conflict(`customer ${customerId} has already moved to ${existing.toRegion}`);
    if (existing.toRegion !== input.to_region) throw apiError.conflict(`customer ${customerId} is being moved to ${existing.toRegion}; resume that move (POST with to_region ${existing.toRegion})`);
    const claimed = await claimMove(deps, customerId);
    if (!claimed) throw apiError.conflict(`customer ${customerId} is being moved right now (step ${existing.step})`);
    return { job: await runMove(deps, claimed, caller), resumed: true };
  }
  await preflightMove(deps, customer, input.to_region);
  const prior: PriorStanding = customer.status === "suspended"
    ? { status: "suspended", suspendedReason: customer.suspendedReason, suspendedReads: customer.suspendedReads }
    : { status: "active", suspendedReason: null, suspendedReads: null };
  const created = await createMove(deps, { customerId, toRegion: input.to_region, prior, requestedBy: caller.principal });
  if (!created) throw apiError.conflict(`customer ${customerId} is being moved right now`);
  return { job: await runMove(deps, created, caller), resumed: false };
}

/**
 * Runs a claimed move from its step to the end: fence (S3 writes refused, reads served) →
 * snapshot (profile, buckets, rules, GDPR requests, keys) → objects (bytes, each verified by the
 * target) → markers → verify (both manifests equal) → switch (the router, compare-and-set) →
 * activate (the target serves) → erase (the source keeps the tombstone). Each step's result is
 * committed, with an audit row, before the next starts: a failure (target or router away) stops
 * the job where it was, fenced and still routed here until the switch, and a re-POST resumes it.
 */
export async function runMove(deps: Deps, job: MoveJob, caller: MoveCaller): Promise<MoveJob> {
  const id = job.customerId;
  let current = job;
  let peer: PeerRegion | undefined;
  const target = async () => {
    peer ??= await lookupRegion(deps, job.toRegion);
    if (!peer) throw apiError.conflict(`region ${job.toRegion} is no longer known to the global router`);
    return peer;
  };
  // While this run lives its job stays claimed, however long one object takes.
  const heartbeat = setInterval(() => void touchMove(deps, id).catch(() => {}), STALE_RUNNER_MS / 4);
  heartbeat.unref();
  try {
    while (current.step !== "done") {
      const step = current.step;
      const result = await runStep(deps, current, step, target);
      await audit(deps, caller, current, step, { result: "success", detail: result, crossBorder: sendsData(step) && crossesBorder(deps, peer) });
      current = await advanceMove(deps, id, step, NEXT[step], result);
    }
    deps.logger.info({ customerId: id, to: job.toRegion }, "customer moved");
    return current;
  } catch (err) {
    const message = (err as Error).message;
    await failMove(deps, id, message).catch(() => {});
    await audit(deps, caller, current, current.step, { result: "error", detail: { error: message.slice(0, 500) }, crossBorder: sendsData(current.step) && crossesBorder(deps, peer) }).catch(() => {});
    deps.logger.warn({ customerId: id, step: current.step, err: message }, "move stopped; it resumes from this step when started again");
    throw err;
  } finally {
    clearInterval(heartbeat);
  }
}

async function runStep(deps: Deps, job: MoveJob, step: Exclude<MoveStep, "done">, target: () => Promise<PeerRegion>): Promise<unknown> {
  const id = job.customerId;
  switch (step) {
    case "fence":
      return fence(deps, job);
    case "snapshot": {
      const snapshot = await buildSnapshot(deps, id, job.prior);
      return callTarget(deps, await target(), id, "snapshot", snapshot);
    }
    case "objects":
      return copyObjects(deps, job, await target());
    case "markers":
      return copyMarkers(deps, job, await target());
    case "verify":
      return verify(deps, job, await target());
    case "switch":
      return switchRouting(deps, id, job.toRegion);
    case "activate":
      return callTarget(deps, await target(), id, "activate", {});
    case "erase":
      return eraseSource(deps, id, job.toRegion);
  }
}

/**
 * Writes refused from here on, reads served as before (refused only if a suspension refused
 * them): through the customers row, so every gateway's cache hears of it.
 */
async function fence(deps: Deps, job: MoveJob) {
  const reads = job.prior.status === "suspended" ? (job.prior.suspendedReads ?? "refused") : "allowed";
  const now = deps.clock.now();
  await deps.db
    .update(customers)
    .set({ status: "moving_out", movedToRegion: job.toRegion, suspendedReads: reads, updatedAt: now })
    .where(and(eq(customers.customerId, job.customerId), inArray(customers.status, ["active", "suspended", "moving_out"])));
  return { status: "moving_out", reads };
}

/**
 * Both manifests must be equal. They differ when the source changed after the copy passed a key:
 * a write or delete already in flight when the fence went up, or the lifecycle worker expiring a
 * version. Then the target drops what it received and the copy is rewound (cursor cleared)
 * before the job fails: the resumed move copies the source as it is now and compares again.
 */
async function verify(deps: Deps, job: MoveJob, peer: PeerRegion) {
  const mine = await customerManifest(deps.db, job.customerId);
  const theirs = (await callTarget(deps, peer, job.customerId, "verify", { ...mine })) as { versions?: unknown; markers?: unknown; digest?: unknown; match?: unknown };
  if (theirs.match === true) return { versions: mine.versions, markers: mine.markers, digest: mine.digest, match: true };
  await callTarget(deps, peer, job.customerId, "reset", {});
  await deps.db.update(customerMoves).set({ step: "objects", cursor: null }).where(eq(customerMoves.customerId, job.customerId));
  throw apiError.conflict(
    `the target's copy differs: here ${mine.versions} versions and ${mine.markers} delete markers, on ${peer.regionId} ${String(theirs.versions)} and ${String(theirs.markers)}; the target dropped its copy of the objects and the copy was rewound: start the move again to copy them anew`,
  );
}

/** The steps that send the customer's data (profile, objects, markers) to the target. */
const sendsData = (step: MoveStep) => step === "snapshot" || step === "objects" || step === "markers";

/** A move between regions of two countries is a cross-border transfer of the customer's data, and its rows say so (the jurisdiction report counts them). */
const crossesBorder = (deps: Deps, peer: PeerRegion | undefined) => peer !== undefined && peer.country !== deps.config.region.country;

async function audit(deps: Deps, caller: MoveCaller, job: MoveJob, step: MoveStep, o: { result: "success" | "error"; detail: unknown; crossBorder: boolean }): Promise<void> {
  await deps.audit.record({
    requestId: caller.requestId, customerId: job.customerId, operationType: "CustomerMoveStep", bucketName: null, objectKey: null, result: o.result,
    statusCode: o.result === "success" ? 200 : 503, errorCode: o.result === "success" ? null : "MoveStepFailed", bytesTransferred: 0,
    sourceIp: null, sourceCountry: null, crossBorderTransfer: o.crossBorder,
    complianceInfo: { step, to_region: job.toRegion, detail: o.detail },
    durationMs: 0, principal: caller.principal, createdAt: deps.clock.now(),
  });
}

/** The move as GET shows it. */
export async function describeMove(deps: Deps, customerId: string): Promise<MoveJob> {
  const job = await findMove(deps.db, customerId);
  if (!job) throw apiError.notFound(`customer ${customerId} has no move`);
  return job;
}
