import type { AppDeps } from "../app.ts";
import { pingWithin } from "../db.ts";
import type { RegionStatus } from "../region-health.ts";
import { UNROUTED, type TrafficSummary } from "./traffic.ts";

export interface GlobalDashboard {
  service: "global-router";
  generated_at: string;
  database: "ok" | "down";
  regions: Array<RegionStatus & { last_5m: TrafficSummary; last_60m: TrafficSummary }>;
  /** All routed requests together. */
  totals: { last_5m: TrafficSummary; last_60m: TrafficSummary };
  /** Requests answered by the router itself before any region was chosen (unknown customer, routing down). */
  unrouted: { last_5m: TrafficSummary; last_60m: TrafficSummary };
  routing_cache: { entries: number; hits: number; misses: number; hit_rate: number | null };
  routing_log: { buffered: number; written: number; dropped: number; spooled: number };
}

/** The router's state for operators, entirely from memory except the database ping and region probes. */
export async function buildGlobalDashboard(deps: AppDeps): Promise<GlobalDashboard> {
  const now = deps.clock.now();
  const [dbOk, statuses] = await Promise.all([pingWithin(deps.ping), deps.regionHealth.statuses()]);
  const { traffic } = deps;
  const cache = deps.routing.stats();
  const lookups = cache.hits + cache.misses;
  return {
    service: "global-router",
    generated_at: new Date(now).toISOString(),
    database: dbOk ? "ok" : "down",
    regions: statuses.map((s) => ({ ...s, last_5m: traffic.window(s.region_id, now, 5), last_60m: traffic.window(s.region_id, now, 60) })),
    totals: { last_5m: traffic.total(now, 5), last_60m: traffic.total(now, 60) },
    unrouted: { last_5m: traffic.window(UNROUTED, now, 5), last_60m: traffic.window(UNROUTED, now, 60) },
    routing_cache: { ...cache, hit_rate: lookups === 0 ? null : Math.round((cache.hits / lookups) * 10_000) / 10_000 },
    routing_log: deps.routingLog.stats(),
  };
}
