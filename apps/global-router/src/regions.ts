import { legalZoneOf, regionEndpoints, type LegalZone, type Topology } from "@s3gw/core";

export interface RegionInfo {
  regionId: string;
  name: string;
  country: string;
  legalZone: LegalZone;
  /** The region's first gateway: what the registry and routing answers name. */
  endpoint: string;
  /** Every stateless gateway of the region, in topology order (at least one); the relay balances over them. */
  endpoints: string[];
}

/**
 * The regions this router may forward to, fixed at start-up from the topology. The database
 * copy is the published registry; forwarding decisions never wait on it.
 */
export class RegionDirectory {
  readonly #regions: Map<string, RegionInfo>;

  constructor(topology: Topology) {
    this.#regions = new Map(
      topology.regions.map((r) => {
        const endpoints = regionEndpoints(r);
        return [r.region_id, { regionId: r.region_id, name: r.name, country: r.country, legalZone: legalZoneOf(r.country), endpoint: endpoints[0]!, endpoints }];
      }),
    );
  }

  get(regionId: string): RegionInfo | undefined {
    return this.#regions.get(regionId);
  }

  list(): RegionInfo[] {
    return [...this.#regions.values()];
  }

  ids(): string[] {
    return [...this.#regions.keys()];
  }
}
