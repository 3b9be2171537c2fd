import { checkResidency, legalZoneOf } from "@s3gw/core";
import { complianceEvents, customers, objectMetadata, operationsLog } from "@s3gw/schema-regional";
import { and, asc, count, desc, eq, gt, gte, inArray, isNull, like, lt, lte, ne, sql, type SQL } from "drizzle-orm";
import type { RegionalDb } from "../../env.ts";

export interface OperationsQuery {
  customerId: string | undefined;
  operation: string | undefined;
  result: "success" | "denied" | "error" | undefined;
  bucket: string | undefined;
  keyPrefix: string | undefined;
  from: Date | undefined;
  to: Date | undefined;
  crossBorderOnly: boolean;
  limit: number;
  beforeId: number | undefined;
}

const likePrefix = (p: string) => `${p.replace(/[\\%_]/g, "\\$&")}%`;

/** The operations log, newest first, keyset-paginated on id (which follows the hash chain). */
export async function listOperations(db: RegionalDb, q: OperationsQuery) {
  const l = operationsLog;
  const conds: SQL[] = [];
  if (q.customerId !== undefined) conds.push(eq(l.customerId, q.customerId));
  if (q.operation !== undefined) conds.push(eq(l.operationType, q.operation));
  if (q.result !== undefined) conds.push(eq(l.result, q.result));
  if (q.bucket !== undefined) conds.push(eq(l.bucketName, q.bucket));
  if (q.keyPrefix !== undefined) conds.push(like(l.objectKey, likePrefix(q.keyPrefix)));
  if (q.from !== undefined) conds.push(gte(l.createdAt, q.from));
  if (q.to !== undefined) conds.push(lte(l.createdAt, q.to));
  if (q.crossBorderOnly) conds.push(eq(l.crossBorderTransfer, true));
  if (q.beforeId !== undefined) conds.push(lt(l.id, q.beforeId));
  const rows = await db.select().from(l).where(and(...conds)).orderBy(desc(l.id)).limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return { rows: page, nextBeforeId: rows.length > q.limit ? page.at(-1)!.id : undefined };
}

export function operationView(r: typeof operationsLog.$inferSelect) {
  return {
    id: r.id,
    request_id: r.requestId,
    created_at: r.createdAt.toISOString(),
    customer_id: r.customerId,
    operation: r.operationType,
    bucket: r.bucketName,
    key: r.objectKey,
    result: r.result,
    status_code: r.statusCode,
    error_code: r.errorCode,
    bytes: r.bytesTransferred,
    source_ip: r.sourceIp,
    source_country: r.sourceCountry,
    cross_border: r.crossBorderTransfer,
    compliance_info: r.complianceInfo,
    duration_ms: r.durationMs,
    principal: r.principal,
    row_hash: r.rowHash,
  };
}

/**
 * Per customer: where its bytes are and whether its requirement allows that, what crossed
 * borders or was refused in the window, and its open violations (severity above low, as in
 * the compliance summary). Customers are paged by id.
 */
export async function jurisdictionReport(
  db: RegionalDb,
  q: { customerId: string | undefined; from: Date; to: Date; limit: number; afterCustomer: string | undefined },
) {
  const conds: SQL[] = [];
  if (q.customerId !== undefined) conds.push(eq(customers.customerId, q.customerId));
  if (q.afterCustomer !== undefined) conds.push(gt(customers.customerId, q.afterCustomer));
  const rows = await db.select().from(customers).where(and(...conds)).orderBy(asc(customers.customerId)).limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const ids = page.map((c) => c.customerId);
  if (ids.length === 0) return { items: [], nextAfter: undefined };

  const o = objectMetadata;
  const locations = await db
    .select({
      customerId: o.customerId, providerId: o.storageProviderId, regionId: o.regionId, country: o.storageCountry,
      objects: count(), bytes: sql<number>`coalesce(sum(${o.sizeBytes}), 0)`.mapWith(Number),
    })
    .from(o)
    .where(inArray(o.customerId, ids))
    .groupBy(o.customerId, o.storageProviderId, o.regionId, o.storageCountry)
    .orderBy(o.customerId, o.storageCountry, o.regionId, o.storageProviderId);
  const l = operationsLog;
  const ops = await db
    .select({
      customerId: l.customerId,
      total: count(),
      crossBorder: sql<number>`count(*) filter (where ${l.crossBorderTransfer})`.mapWith(Number),
      denied: sql<number>`count(*) filter (where ${l.result} = 'denied')`.mapWith(Number),
    })
    .from(l)
    .where(and(inArray(l.customerId, ids), gte(l.createdAt, q.from), lte(l.createdAt, q.to)))
    .groupBy(l.customerId);
  const e = complianceEvents;
  const open = await db
    .select({ customerId: e.customerId, n: count() })
    .from(e)
    .where(and(inArray(e.customerId, ids), isNull(e.resolvedAt), ne(e.severity, "low")))
    .groupBy(e.customerId);

  const items = page.map((c) => {
    const data_locations = locations
      .filter((x) => x.customerId === c.customerId)
      .map((x) => ({
        storage_provider: x.providerId,
        storage_region: x.regionId,
        storage_country: x.country,
        legal_zone: legalZoneOf(x.country),
        objects: x.objects,
        bytes: x.bytes,
        permitted: checkResidency(
          { customerId: c.customerId, homeRegionId: c.regionId, country: c.country, requirement: c.dataResidencyRequirement },
          { providerId: x.providerId, regionId: x.regionId, country: x.country },
        ).allowed,
      }));
    const o = ops.find((x) => x.customerId === c.customerId);
    const openViolations = open.find((x) => x.customerId === c.customerId)?.n ?? 0;
    return {
      customer_id: c.customerId,
      requirement: c.dataResidencyRequirement,
      home_region: c.regionId,
      country: c.country,
      legal_zone: c.legalZone,
      jurisdictions: [...new Set(data_locations.map((d) => d.legal_zone))].sort(),
      data_locations,
      operations: o?.total ?? 0,
      cross_border_operations: o?.crossBorder ?? 0,
      denied_operations: o?.denied ?? 0,
      open_violations: openViolations,
      compliant: openViolations === 0 && data_locations.every((d) => d.permitted),
    };
  });
  return { items, nextAfter: rows.length > q.limit ? page.at(-1)!.customerId : undefined };
}
