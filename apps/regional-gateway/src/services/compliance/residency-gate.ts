import { checkResidency, s3Error } from "@s3gw/core";
import type { StorageProvider, TenantStorage } from "@s3gw/storage";
import type { Deps, OperationRecord } from "../../env.ts";
import { isCrossBorder } from "../../source-country.ts";
import { raiseComplianceEvent } from "./compliance-events.ts";
import type { Customer } from "../access/customers.ts";

/**
 * The one residency check of every write path (PutObject, CreateMultipartUpload, CopyObject):
 * decided before a single byte is accepted. A violation is recorded on the operation, raised
 * as a compliance event and refused with DataResidencyViolation. Sets the operation's
 * cross-border flag either way. Returns the storage target, resolved once for this write.
 */
export async function residencyGate(
  deps: Deps,
  customer: Customer,
  op: OperationRecord,
  where: { bucket: string; key: string; sourceCountry: string | null },
): Promise<{ provider: StorageProvider; tenant: TenantStorage }> {
  const write = await deps.targets.forWrite(customer.customerId);
  const target = write.provider.location;
  const decision = checkResidency(
    { customerId: customer.customerId, homeRegionId: customer.regionId, country: customer.country, requirement: customer.dataResidencyRequirement },
    target,
  );
  op.crossBorder = decision.crossBorder || isCrossBorder(where.sourceCountry, target.country, customer.country);
  if (!decision.allowed) {
    op.info = { ...op.info, residency: "violation", reason: decision.reason, target };
    await raiseComplianceEvent(deps.db, deps.clock.now(), {
      customerId: customer.customerId,
      eventType: "data_residency_violation",
      severity: "high",
      description: `Write refused: ${decision.reason}`,
      bucketName: where.bucket,
      objectKey: where.key,
      details: { target, requirement: customer.dataResidencyRequirement, customer_country: customer.country },
      remediationHours: 24,
    });
    throw s3Error("DataResidencyViolation", decision.reason, { resource: `/${where.bucket}/${where.key}` });
  }
  return write;
}
