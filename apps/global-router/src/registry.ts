import { legalZoneOf, regionEndpoints, type Topology } from "@s3gw/core";
import { providers, regions } from "@s3gw/schema-global";
import { asc, notInArray, sql } from "drizzle-orm";
import type { GlobalDb } from "./db.ts";

/**
 * Publishes the topology as the global registry. Regions that left the topology are kept
 * (customers may still reference them) but marked inactive, so the registry never lies
 * about where the router will forward.
 */
export async function syncTopology(db: GlobalDb, topology: Topology): Promise<void> {
  const ids = topology.regions.map((r) => r.region_id);
  await db.transaction(async (tx) => {
    for (const r of topology.regions) {
      const legalZone = legalZoneOf(r.country);
      const region = {
        regionId: r.region_id,
        name: r.name,
        country: r.country,
        legalZone,
        // The first gateway of the region; the router balances over all of them (regions.ts).
        gatewayEndpoint: regionEndpoints(r)[0]!,
        jurisdictionInfo: { country: r.country, legal_zone: legalZone },
        status: "active",
      };
      await tx
        .insert(regions)
        .values(region)
        .onConflictDoUpdate({ target: regions.regionId, set: { ...region, updatedAt: sql`now()` } });
      const providerCountry = r.provider.country;
      const provider = {
        providerId: r.provider.provider_id,
        providerType: r.provider.type,
        regionId: r.region_id,
        country: providerCountry,
        legalZone: legalZoneOf(providerCountry),
        endpoint: r.provider.endpoint ?? null,
        status: "active",
      };
      await tx
        .insert(providers)
        .values(provider)
        .onConflictDoUpdate({ target: providers.providerId, set: { ...provider, updatedAt: sql`now()` } });
    }
    await tx
      .update(regions)
      .set({ status: "inactive", updatedAt: sql`now()` })
      .where(notInArray(regions.regionId, ids));
  });
}

export interface RegionRow {
  region_id: string;
  name: string;
  country: string;
  legal_zone: string;
  gateway_endpoint: string;
  status: string;
}

export async function listRegions(db: GlobalDb): Promise<RegionRow[]> {
  const rows = await db.select().from(regions).orderBy(asc(regions.regionId));
  return rows.map((r) => ({
    region_id: r.regionId,
    name: r.name,
    country: r.country,
    legal_zone: r.legalZone,
    gateway_endpoint: r.gatewayEndpoint,
    status: r.status,
  }));
}

export interface ProviderRow {
  provider_id: string;
  provider_type: string;
  region_id: string;
  country: string;
  legal_zone: string;
  endpoint: string | null;
  status: string;
}

export async function listProviders(db: GlobalDb): Promise<ProviderRow[]> {
  const rows = await db.select().from(providers).orderBy(asc(providers.providerId));
  return rows.map((p) => ({
    provider_id: p.providerId,
    provider_type: p.providerType,
    region_id: p.regionId,
    country: p.country,
    legal_zone: p.legalZone,
    endpoint: p.endpoint,
    status: p.status,
  }));
}
