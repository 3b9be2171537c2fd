import { checkResidency } from "@s3gw/core";
import { complianceEvents, customers, objectMetadata } from "@s3gw/schema-regional";
import { and, asc, count, eq, gt, inArray, type SQL } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { eventValues, publishRaisedEvent, type NewComplianceEvent } from "./compliance-events.ts";
import { storageLocations } from "../storage/storage-locations.ts";

export const RESIDENCY_VIOLATION_STATUS = "residency_violation";

export interface ResidencyViolation {
  customer_id: string;
  bucket: string;
  key: string;
  requirement: string;
  storage_provider: string;
  storage_country: string;
  storage_region: string;
  reason: string;
}

/**
 * Checks every object in scope against its customer's residency requirement and the storage
 * target it actually sits on, page by page so a large region never sits in memory. Each
 * violation raises one `data_residency_violation` event per object (deduplicated while open)
 * and marks a compliant object `residency_violation`; one so marked but now in place is
 * marked compliant again.
 */
export async function validateResidency(deps: Deps, customerId: string | undefined, opts: { pageSize?: number; maxReported?: number } = {}) {
  const pageSize = opts.pageSize ?? 500;
  const maxReported = opts.maxReported ?? 1000;
  const o = objectMetadata;
  const now = deps.clock.now();
  const violations: ResidencyViolation[] = [];
  let violationCount = 0;
  let eventsRaised = 0;
  let checked = 0;
  let after: string | undefined;
  for (;;) {
    const conds: SQL[] = [];
    if (customerId !== undefined) conds.push(eq(o.customerId, customerId));
    if (after !== undefined) conds.push(gt(o.objectId, after));
    const page = await deps.db
      .select({
        objectId: o.objectId, customerId: o.customerId, bucket: o.bucketName, key: o.objectKey, status: o.complianceStatus,
        providerId: o.storageProviderId, regionId: o.regionId, country: o.storageCountry,
        homeRegionId: customers.regionId, customerCountry: customers.country, requirement: customers.dataResidencyRequirement,
      })
      .from(o)
      .innerJoin(customers, eq(customers.customerId, o.customerId))
      .where(and(...conds))
      .orderBy(asc(o.objectId))
      .limit(pageSize);
    if (page.length === 0) break;
    after = page.at(-1)!.objectId;
    checked += page.length;

    const bad: typeof page = [];
    const fixed: string[] = [];
    const reasons = new Map<string, string>();
    for (const r of page) {
      const d = checkResidency(
        { customerId: r.customerId, homeRegionId: r.homeRegionId, country: r.customerCountry, requirement: r.requirement },
        { providerId: r.providerId, regionId: r.regionId, country: r.country },
      );
      if (d.allowed) {
        if (r.status === RESIDENCY_VIOLATION_STATUS) fixed.push(r.objectId);
        continue;
      }
      bad.push(r);
      reasons.set(r.objectId, d.reason);
      violationCount++;
      if (violations.length < maxReported) {
        violations.push({
          customer_id: r.customerId, bucket: r.bucket, key: r.key, requirement: r.requirement,
          storage_provider: r.providerId, storage_country: r.country, storage_region: r.regionId, reason: d.reason,
        });
      }
    }
    if (bad.length > 0) {
      const events = bad.map((r): NewComplianceEvent => ({
        customerId: r.customerId,
        eventType: "data_residency_violation",
        severity: "high",
        description: `Stored object violates residency: ${reasons.get(r.objectId)}`,
        bucketName: r.bucket,
        objectKey: r.key,
        details: {
          object_id: r.objectId, storage_provider: r.providerId, storage_region: r.regionId, storage_country: r.country,
          requirement: r.requirement, customer_country: r.customerCountry, found_by: "validate/data-residency",
        },
        remediationHours: 24,
        dedupeKey: `residency:${r.objectId}`,
        recommendedAction: "Migrate the object to a storage target its customer's residency allows (POST /api/storage-migrations), then resolve the event",
      }));
      const raised = await deps.db.transaction(async (tx) => {
        const rows = await tx
          .insert(complianceEvents)
          .values(events.map((e) => eventValues(now, e)))
          .onConflictDoNothing({ target: complianceEvents.dedupeKey })
          .returning({ id: complianceEvents.eventId, dedupeKey: complianceEvents.dedupeKey });
        const byKey = new Map(events.map((e) => [e.dedupeKey, e]));
        for (const r of rows) await publishRaisedEvent(tx, now, byKey.get(r.dedupeKey!)!, r.id);
        return rows;
      });
      eventsRaised += raised.length;
      // Another finding already on an object (say, an integrity mismatch) is not overwritten.
      const mark = bad.filter((r) => r.status === "compliant").map((r) => r.objectId);
      if (mark.length > 0) {
        await deps.db.update(o).set({ complianceStatus: RESIDENCY_VIOLATION_STATUS }).where(and(inArray(o.objectId, mark), eq(o.complianceStatus, "compliant")));
      }
    }
    if (fixed.length > 0) {
      await deps.db.update(o).set({ complianceStatus: "compliant" }).where(and(inArray(o.objectId, fixed), eq(o.complianceStatus, RESIDENCY_VIOLATION_STATUS)));
    }
    if (page.length < pageSize) break;
  }
  const [custs] = await deps.db
    .select({ n: count() })
    .from(customers)
    .where(customerId === undefined ? undefined : eq(customers.customerId, customerId));
  return {
    checked,
    // A declared country (non-AWS customer bucket) is reported as declared, not verified.
    storage_locations: await storageLocations(deps.db, customerId),
    customers_checked: custs?.n ?? 0,
    violation_count: violationCount,
    violations,
    violations_truncated: violationCount > violations.length,
    events_raised: eventsRaised,
  };
}
