import type { RegionalDashboard } from "./ops-dashboard.ts";
import type { WindowSummary } from "./request-stats.ts";

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
export function textTable(columns: Column[], rows: string[][]): string[] {
  const cut = (s: string, max = DASHBOARD_WIDTH) => (s.length > max ? `${s.slice(0, max - 1)}~` : s);
  const cells = rows.map((r) => r.map((v, i) => cut(v, columns[i]?.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    `  ${r.map((v, i) => (columns[i]?.align === "right" ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join("  ")}`.trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export const formatPercent = (share: number): string => `${(share * 100).toFixed(2)}%`;
export const formatMs = (ms: number | null): string => (ms === null ? "-" : ms.toFixed(ms < 10 ? 2 : 1));

export function headerLines(title: string, at: string): string[] {
  const when = `${at.slice(0, 19).replace("T", " ")} UTC`;
  const gap = Math.max(2, DASHBOARD_WIDTH - title.length - when.length);
  return [`${title}${" ".repeat(gap)}${when}`.slice(0, DASHBOARD_WIDTH), "=".repeat(DASHBOARD_WIDTH)];
}

export function trafficTable(windows: Array<[string, WindowSummary]>): string[] {
  return textTable(
    [
      { header: "window" },
      { header: "requests", align: "right" },
      { header: "req/min", align: "right" },
      { header: "5xx rate", align: "right" },
      { header: "4xx rate", align: "right" },
      { header: "p50 ms", align: "right" },
      { header: "p95 ms", align: "right" },
      { header: "p99 ms", align: "right" },
    ],
    windows.map(([label, w]) => [
      label,
      String(w.requests),
      w.requests_per_minute.toFixed(2),
      formatPercent(w.error_rate),
      formatPercent(w.client_error_rate),
      formatMs(w.latency_ms.p50),
      formatMs(w.latency_ms.p95),
      formatMs(w.latency_ms.p99),
    ]),
  );
}

const TOP_OPERATIONS = 10;

/** The regional dashboard as fixed-width text, the same data as the JSON form. */
export function renderRegionalDashboard(d: RegionalDashboard): string {
  const h = d.health;
  const out = [
    ...headerLines(`s3gw regional gateway  ${d.region.region_id} (${d.region.name}, ${d.region.jurisdiction})`, d.generated_at),
    "",
    "HEALTH",
    `  status      ${h.status}`,
    `  database    ${h.database}`,
    `  storage     ${h.storage.status}  (${h.storage.provider_id}, ${h.storage.type}, ${h.storage.country})`,
    `  audit log   ${h.audit_queue_depth} rows waiting`,
    "",
    "REQUESTS  (error rate: answers >= 500; 4xx shown apart)",
    ...trafficTable([
      ["5 min", d.requests.last_5m],
      ["60 min", d.requests.last_60m],
    ]),
    "",
    `TOP OPERATIONS  (60 min)`,
  ];
  const ops = d.requests.last_60m.operations.slice(0, TOP_OPERATIONS);
  if (ops.length === 0) out.push("  no requests yet");
  else {
    out.push(
      ...textTable(
        [{ header: "operation", max: 60 }, { header: "requests", align: "right" }, { header: "5xx", align: "right" }, { header: "4xx", align: "right" }],
        ops.map((o) => [o.operation, String(o.requests), String(o.server_errors), String(o.client_errors)]),
      ),
    );
  }
  out.push("", "COMPLIANCE");
  const c = d.compliance;
  if (!c) out.push("  unavailable: the database is down");
  else {
    const v = c.open_violations;
    const g = c.gdpr_requests;
    out.push(
      `  open violations  ${v.total}  (critical ${v.critical}, high ${v.high}, medium ${v.medium})`,
      `  GDPR requests    ${g.pending} pending, ${g.overdue} overdue, ${g.due_soon} due within ${g.due_soon_days} days`,
      `  legal holds      ${c.legal_holds} objects`,
      `  retention        ${c.retained_objects} objects under retention`,
    );
  }
  out.push("");
  const s = d.storage;
  if (!s) out.push("STORAGE BY CUSTOMER", "  unavailable: the database is down");
  else {
    out.push(`STORAGE BY CUSTOMER  (top ${s.customers_shown} of ${s.total_customers} by bytes)`);
    const rows = s.customers.map((r) => [r.customer_id, String(r.objects), formatBytes(r.bytes)]);
    rows.push([`total (${s.total_customers} customers)`, String(s.total_objects), formatBytes(s.total_bytes)]);
    out.push(
      ...textTable(
        [{ header: "customer", max: 63 }, { header: "objects", align: "right" }, { header: "bytes", align: "right" }],
        rows,
      ),
    );
  }
  return `${out.map((l) => (l.length > DASHBOARD_WIDTH ? `${l.slice(0, DASHBOARD_WIDTH - 1)}~` : l)).join("\n")}\n`;
}
