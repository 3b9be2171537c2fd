import type { GlobalDashboard } from "./dashboard.ts";
import type { TrafficSummary } from "./traffic.ts";

/** Every line of the text dashboard fits a 100-column terminal. */
export const DASHBOARD_WIDTH = 100;

/**
 * JSON only when the client asks for it: curl's default `*\/*`, `text/plain` or no Accept at all
 * get the text dashboard. `?format=` overrides the header for clients that cannot set it.
 */
export function wantsJson(accept: string | undefined, format: "json" | "text" | undefined): boolean {
  if (format) return format === "json";
  let json = 0;
  let text = 0;
  for (const part of (accept ?? "").split(",")) {
    const [type, ...params] = part.trim().toLowerCase().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (type === "application/json") json = Math.max(json, q);
    else if (type === "text/plain") text = Math.max(text, q);
  }
  return json > 0 && json >= text;
}

interface Column { header: string; align?: "left" | "right"; max?: number }

/** Aligned columns, two spaces apart, indented by two; over-long cells are cut with "~". */
function textTable(columns: Column[], rows: string[][]): string[] {
  const cut = (s: string, max = DASHBOARD_WIDTH) => (s.length > max ? `${s.slice(0, max - 1)}~` : s);
  const cells = rows.map((r) => r.map((v, i) => cut(v, columns[i]?.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    `  ${r.map((v, i) => (columns[i]?.align === "right" ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join("  ")}`.trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

const percent = (share: number): string => `${(share * 100).toFixed(2)}%`;
const ms = (v: number | null): string => (v === null ? "-" : v.toFixed(v < 10 ? 2 : 1));

function trafficRows(label: string, windows: Array<[string, TrafficSummary]>): string[][] {
  return windows.map(([window, w], i) => [
    i === 0 ? label : "",
    window,
    String(w.requests),
    w.requests_per_minute.toFixed(2),
    percent(w.error_rate),
    percent(w.client_error_rate),
    ms(w.latency_ms.p50),
    ms(w.latency_ms.p95),
    ms(w.latency_ms.p99),
  ]);
}

/** The router's dashboard as fixed-width text, the same data as the JSON form. */
export function renderGlobalDashboard(d: GlobalDashboard): string {
  const title = "s3gw global router";
  const when = `${d.generated_at.slice(0, 19).replace("T", " ")} UTC`;
  const c = d.routing_cache;
  const log = d.routing_log;
  const out = [
    `${title}${" ".repeat(DASHBOARD_WIDTH - title.length - when.length)}${when}`,
    "=".repeat(DASHBOARD_WIDTH),
    "",
    "HEALTH",
    `  database       ${d.database}`,
    `  routing cache  entries ${c.entries}, hits ${c.hits}, misses ${c.misses}, hit rate ${c.hit_rate === null ? "-" : percent(c.hit_rate)}`,
    `  routing log    buffered ${log.buffered}, written ${log.written}, dropped ${log.dropped}`,
    "",
    "REGIONS",
    ...textTable(
      [{ header: "region" }, { header: "status" }, { header: "endpoint", max: 70 }],
      d.regions.map((r) => [r.region_id, r.status, r.endpoint]),
    ),
    "",
    "ROUTED REQUESTS  (error rate: answers >= 500; 4xx shown apart)",
    ...textTable(
      [
        { header: "region", max: 24 },
        { header: "window" },
        { header: "requests", align: "right" },
        { header: "req/min", align: "right" },
        { header: "5xx rate", align: "right" },
        { header: "4xx rate", align: "right" },
        { header: "p50 ms", align: "right" },
        { header: "p95 ms", align: "right" },
        { header: "p99 ms", align: "right" },
      ],
      [
        ...d.regions.flatMap((r) => trafficRows(r.region_id, [["5 min", r.last_5m], ["60 min", r.last_60m]])),
        ...trafficRows("all regions", [["5 min", d.totals.last_5m], ["60 min", d.totals.last_60m]]),
        ...trafficRows("not routed", [["5 min", d.unrouted.last_5m], ["60 min", d.unrouted.last_60m]]),
      ],
    ),
  ];
  return `${out.map((l) => (l.length > DASHBOARD_WIDTH ? `${l.slice(0, DASHBOARD_WIDTH - 1)}~` : l)).join("\n")}\n`;
}
