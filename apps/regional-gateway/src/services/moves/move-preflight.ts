import { AppError, apiError, checkResidency } from "@s3gw/core";
import { customerOffboarding, customerStorage, multipartUploads, objectMetadata } from "@s3gw/schema-regional";
import { and, eq, ne, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { Customer } from "../access/customers.ts";
import { lookupRegion, type PeerRegion } from "./move-peer.ts";

const LISTED = 20;

/**
 * What must hold before a move starts, cheapest first: another region, one the router knows,
 * one that satisfies the customer's residency requirement (the same rule as every write), and
 * nothing this design cannot carry: SSE-C objects (their bytes open only with the customer's
 * key, which is never stored), objects in a customer-owned bucket (its place is the customer's
 * choice, not the target region's), uploads in progress (they cannot complete once fenced).
 */
export async function preflightMove(deps: Deps, customer: Customer, toRegion: string): Promise<PeerRegion> {
  const id = customer.customerId;
  const here = deps.config.region.region_id;
  if (toRegion === here) throw apiError.badRequest(`customer ${id} is already in region ${here}`);
  if (customer.status !== "active" && customer.status !== "suspended") throw apiError.conflict(`customer ${id} is ${customer.status.replace("_", " ")}; only an active or suspended customer is moved`);
  const [offboarding] = await deps.db.select({ status: customerOffboarding.status }).from(customerOffboarding).where(eq(customerOffboarding.customerId, id)).limit(1);
  if (offboarding) throw apiError.conflict(`customer ${id} is being offboarded (job ${offboarding.status}); it cannot move`);
  const peer = await lookupRegion(deps, toRegion);
  if (!peer) throw apiError.badRequest(`unknown region ${toRegion}: the global router does not know it`);
  const decision = checkResidency(
    { customerId: id, homeRegionId: toRegion, country: customer.country, requirement: customer.dataResidencyRequirement },
    { providerId: toRegion, regionId: toRegion, country: peer.country },
  );
  if (!decision.allowed) throw new AppError("DataResidencyViolation", 403, `region ${toRegion} (${peer.country}) does not satisfy customer ${id}'s residency requirement: ${decision.reason}`);
  await refuseWhatCannotMove(deps, id);
  return peer;
}

async function refuseWhatCannotMove(deps: Deps, id: string): Promise<void> {
  const hosted = deps.targets.hosted.location.providerId;
  const [storage] = await deps.db.select({ enabled: customerStorage.enabled }).from(customerStorage).where(eq(customerStorage.customerId, id)).limit(1);
  const sseC = await listed(deps, and(eq(objectMetadata.customerId, id), sql`${objectMetadata.encryption}->>'mode' = 'SSE-C'`));
  const elsewhere = await listed(deps, and(eq(objectMetadata.customerId, id), ne(objectMetadata.storageProviderId, hosted)));
  const uploads = await deps.db.select({ bucket: multipartUploads.bucketName, key: multipartUploads.objectKey, id: multipartUploads.uploadId }).from(multipartUploads).where(eq(multipartUploads.customerId, id)).limit(LISTED);
  const problems: string[] = [];
  if (storage?.enabled) problems.push("its own bucket is configured as its storage (DELETE /api/customers/:id/storage first, after a storage migration to hosted storage)");
  if (sseC.length) problems.push(`SSE-C object versions cannot be opened without the customer's keys, which are never stored (copy them out and delete them, or re-upload them with SSE-S3/SSE-KMS): ${sseC.join(", ")}`);
  if (elsewhere.length) problems.push(`object versions stored in a customer-owned bucket (migrate them to hosted storage first): ${elsewhere.join(", ")}`);
  if (uploads.length) problems.push(`multipart uploads in progress (complete or abort them): ${uploads.map((u) => `${u.bucket}/${u.key} (${u.id})`).join(", ")}`);
  if (problems.length) throw new AppError("MOVE_NOT_POSSIBLE", 409, `customer ${id} cannot be moved: ${problems.join("; ")}`.slice(0, 4000));
}

async function listed(deps: Deps, where: ReturnType<typeof and>): Promise<string[]> {
  const rows = await deps.db.select({ b: objectMetadata.bucketName, k: objectMetadata.objectKey, v: objectMetadata.versionId }).from(objectMetadata).where(where).limit(LISTED);
  return rows.map((r) => `${r.b}/${r.k} (version ${r.v})`);
}
