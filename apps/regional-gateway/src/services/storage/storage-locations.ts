import { objectMetadata, storageTargets } from "@s3gw/schema-regional";
import { asc, count, eq, sum } from "drizzle-orm";
import type { RegionalDb } from "../../env.ts";

export type CountryBasis = "region_provider" | "verified" | "declared";

export interface StorageLocation {
  target_id: string;
  country: string;
  /**
   * How the country is known: the region's own provider (its topology), an AWS region name
   * (`verified`), or an admin's declaration about a non-AWS bucket (`declared`: a claim
   * nobody here has checked, with who made it and when).
   */
  country_basis: CountryBasis;
  declared_by: string | null;
  declared_at: string | null;
  objects: number;
  bytes: number;
}

/** Where a customer's (or the region's) objects are, by target and country, with how each country is known. */
export async function storageLocations(db: RegionalDb, customerId?: string): Promise<StorageLocation[]> {
  const o = objectMetadata;
  const rows = await db
    .select({
      targetId: o.storageProviderId,
      country: o.storageCountry,
      source: storageTargets.countrySource,
      declaredBy: storageTargets.countryDeclaredBy,
      declaredAt: storageTargets.countryDeclaredAt,
      objects: count(),
      bytes: sum(o.sizeBytes),
    })
    .from(o)
    .leftJoin(storageTargets, eq(storageTargets.targetId, o.storageProviderId))
    .where(customerId === undefined ? undefined : eq(o.customerId, customerId))
    .groupBy(o.storageProviderId, o.storageCountry, storageTargets.countrySource, storageTargets.countryDeclaredBy, storageTargets.countryDeclaredAt)
    .orderBy(asc(o.storageProviderId), asc(o.storageCountry));
  return rows.map((r) => ({
    target_id: r.targetId,
    country: r.country,
    country_basis: r.source === null ? "region_provider" : r.source === "aws_region" ? "verified" : "declared",
    declared_by: r.source === "declared" ? r.declaredBy : null,
    declared_at: r.source === "declared" ? (r.declaredAt?.toISOString() ?? null) : null,
    objects: r.objects,
    bytes: Number(r.bytes ?? 0),
  }));
}
