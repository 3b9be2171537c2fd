import { and, count, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import { complianceEvents, dataSubjectRequests, objectMetadata } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../env.ts";
import type { Customer } from "../access/customers.ts";
import { storageLocations } from "../storage/storage-locations.ts";

/** The seed's compliance summary, computed from the region's rows. */
export async function complianceSummary(db: RegionalDb, customer: Customer) {
  const id = customer.customerId;
  const [objects] = await db
    .select({
      total: count(),
      compliant: sql<number>`count(*) filter (where ${objectMetadata.complianceStatus} = 'compliant')`.mapWith(Number),
      held: sql<number>`count(*) filter (where ${objectMetadata.legalHold})`.mapWith(Number),
      bytes: sql<number>`coalesce(sum(${objectMetadata.sizeBytes}), 0)`.mapWith(Number),
    })
    .from(objectMetadata)
    .where(eq(objectMetadata.customerId, id));
  const [violations] = await db
    .select({ n: count() })
    .from(complianceEvents)
    .where(and(eq(complianceEvents.customerId, id), isNull(complianceEvents.resolvedAt), ne(complianceEvents.severity, "low")));
  const [pending] = await db
    .select({ n: count() })
    .from(dataSubjectRequests)
    .where(and(eq(dataSubjectRequests.customerId, id), inArray(dataSubjectRequests.status, ["pending", "in_progress"])));
  const total = objects?.total ?? 0;
  const compliant = objects?.compliant ?? 0;
  return {
    customer_id: id,
    customer_name: customer.customerName,
    region: customer.regionId,
    customer_compliance_status: customer.status,
    data_residency_requirement: customer.dataResidencyRequirement,
    compliance_requirements: customer.complianceRequirements,
    total_objects: total,
    total_bytes: objects?.bytes ?? 0,
    compliant_objects: compliant,
    non_compliant_objects: total - compliant,
    legal_hold_objects: objects?.held ?? 0,
    open_violations: violations?.n ?? 0,
    pending_data_requests: pending?.n ?? 0,
    compliance_percentage: total === 0 ? 100 : Math.round((compliant / total) * 10000) / 100,
    // Where the bytes are, and whether each country is verified or only declared by an admin.
    storage_locations: await storageLocations(db, id),
  };
}
