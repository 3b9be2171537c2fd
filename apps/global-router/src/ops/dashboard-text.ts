import { dashboardText, formatPercent, headerLines, textTable, TRAFFIC_COLUMNS, trafficCells } from "@s3gw/core";
import type { GlobalDashboard } from "./dashboard.ts";
import type { TrafficSummary } from "./traffic.ts";

/** A region's windows, the region named on its first row only. */
function trafficRows(label: string, windows: Array<[string, TrafficSummary]>): string[][] {
  return windows.map(([window, w], i) => [i === 0 ? label : "", ...trafficCells(window, w)]);
}

/** The router's dashboard as fixed-width text, the same data as the JSON form. */
export function renderGlobalDashboard(d: GlobalDashboard): string {
  const c = d.routing_cache;
  const log = d.routing_log;
  const out = [
    ...headerLines("s3gw global router", d.generated_at),
    "",
    "HEALTH",
    `  database       ${d.database}`,
    `  routing cache  entries ${c.entries}, hits ${c.hits}, misses ${c.misses}, hit rate ${c.hit_rate === null ? "-" : formatPercent(c.hit_rate)}`,
    `  routing log    buffered ${log.buffered}, written ${log.written}, dropped ${log.dropped}`,
    "",
    "REGIONS",
    ...textTable(
      [{ header: "region" }, { header: "status" }, { header: "endpoint", max: 70 }],
      // A region of several gateways: one line for the region, one per gateway under it.
      d.regions.flatMap((r) => [[r.region_id, r.status, r.endpoints.length > 1 ? `${r.endpoints.length} gateways` : r.endpoint], ...(r.endpoints.length > 1 ? r.endpoints.map((e) => ["  gateway", e.status, e.endpoint]) : [])]),
    ),
    "",
    "ROUTED REQUESTS  (error rate: answers >= 500; 4xx shown apart)",
    ...textTable(
      [{ header: "region", max: 24 }, ...TRAFFIC_COLUMNS],
      [
        ...d.regions.flatMap((r) => trafficRows(r.region_id, [["5 min", r.last_5m], ["60 min", r.last_60m]])),
        ...trafficRows("all regions", [["5 min", d.totals.last_5m], ["60 min", d.totals.last_60m]]),
        ...trafficRows("not routed", [["5 min", d.unrouted.last_5m], ["60 min", d.unrouted.last_60m]]),
      ],
    ),
  ];
  return dashboardText(out);
}
