import type { RegionStatus } from "./region-health.ts";
import type { RegionDirectory } from "./regions.ts";
import type { CircuitStatus } from "./upstream/region-circuits.ts";

/** One gateway of a region as operators see it: its last health probe and its circuit. */
export interface GatewayView {
  endpoint: string;
  /** The last health probe's answer (probes are cached a few seconds); `down` when never probed. */
  health: "up" | "down";
  circuit: { state: "closed" | "open"; consecutive_failures: number; opened_at: string | null; in_flight: number };
}

/**
 * Every gateway of each region in topology order, with its health and circuit. The topology is
 * what the router forwards to; a region of the published registry it does not know has none.
 */
export function regionGateways(regions: RegionDirectory, health: RegionStatus[], circuits: CircuitStatus[]): Map<string, GatewayView[]> {
  const out = new Map<string, GatewayView[]>();
  for (const r of regions.list()) {
    const probed = health.find((h) => h.region_id === r.regionId)?.endpoints ?? [];
    const circuit = circuits.find((c) => c.region_id === r.regionId)?.endpoints ?? [];
    out.set(
      r.regionId,
      r.endpoints.map((endpoint, i) => {
        const c = circuit[i];
        return {
          endpoint,
          health: probed[i]?.status ?? "down",
          circuit: { state: c?.state ?? "closed", consecutive_failures: c?.consecutive_failures ?? 0, opened_at: c?.opened_at ?? null, in_flight: c?.in_flight ?? 0 },
        };
      }),
    );
  }
  return out;
}
