import { awsRegionCountry, awsRegionIsAt, checkResidency, REGION_ID_RE, s3Error, type RegionSpec } from "@s3gw/core";
import type { Deps } from "../../env.ts";
import type { Customer } from "../access/customers.ts";
import { raiseComplianceEvent } from "../compliance/compliance-events.ts";

/** Where a CreateBucket's LocationConstraint asks for the bucket to be. */
export type Placement =
  /**
   * Here. `named`: the constraint named this region; without one (the analogue of AWS's
   * us-east-1 legacy default) a re-create of an own bucket is a 200 that changes nothing.
   */
  | { kind: "home"; named: boolean }
  /** Another place: an AWS region (its country known) or another region of this deployment (not known here). */
  | { kind: "elsewhere"; name: string; country: string | undefined };

/**
 * What a LocationConstraint names, seen from this region. No constraint (AWS's us-east-1
 * default), this region's id in any case, or the AWS region at the same place (the topology
 * name's city and country: `eu-central-1` is "Frankfurt, Germany") mean here. An AWS region
 * name elsewhere, or another region id (upper case, as ids are), is elsewhere; anything else is
 * not a location.
 */
export function placementOf(constraint: string | undefined, home: RegionSpec): Placement {
  if (constraint === undefined || constraint === "") return { kind: "home", named: false };
  if (constraint.toUpperCase() === home.region_id || awsRegionIsAt(constraint, home)) return { kind: "home", named: true };
  const country = awsRegionCountry(constraint);
  if (country !== undefined) return { kind: "elsewhere", name: constraint, country };
  if (REGION_ID_RE.test(constraint)) return { kind: "elsewhere", name: constraint, country: undefined };
  throw s3Error("InvalidLocationConstraint");
}

/**
 * Refuses a bucket that was asked to live elsewhere: this region only ever stores here, so
 * creating it at home would put the data somewhere the client did not ask for. When the
 * customer's residency requirement forbids that place too, the refusal is a residency
 * violation (403, raised as a compliance event); otherwise the request was merely sent to
 * the wrong region (400 IllegalLocationConstraintException, as AWS answers).
 */
export async function checkBucketPlacement(deps: Deps, customer: Customer, bucket: string, placement: Placement): Promise<void> {
  if (placement.kind === "home") return;
  const home = deps.config.region;
  const subject = { customerId: customer.customerId, homeRegionId: customer.regionId, country: customer.country, requirement: customer.dataResidencyRequirement };
  // Strict residency forbids every region but home, whatever its country; otherwise only a known country can be judged.
  const decision = customer.dataResidencyRequirement === "strict" || placement.country !== undefined
    ? checkResidency(subject, { providerId: `location:${placement.name}`, regionId: placement.name, country: placement.country ?? "unknown" })
    : { allowed: true as const };
  if (!decision.allowed) {
    await raiseComplianceEvent(deps.db, deps.clock.now(), {
      customerId: customer.customerId,
      eventType: "data_residency_violation",
      severity: "medium",
      description: `CreateBucket refused: location constraint ${placement.name}; ${decision.reason}`,
      bucketName: bucket,
      details: { location_constraint: placement.name, country: placement.country ?? null, requirement: customer.dataResidencyRequirement, customer_country: customer.country },
    });
    throw s3Error("DataResidencyViolation", `The location constraint ${placement.name} is not allowed by the customer's ${customer.dataResidencyRequirement} residency requirement: ${decision.reason}`, { resource: `/${bucket}` });
  }
  throw s3Error("IllegalLocationConstraintException", `The ${placement.name} location constraint is incompatible for the region specific endpoint this request was sent to (${home.region_id}).`, { resource: `/${bucket}` });
}
