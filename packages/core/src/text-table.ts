import type { WindowSummary } from "./request-window.ts";

/**
 * Fixed-width text for the ops dashboards of both layers, read with curl in a terminal.
 * Every line fits a 100-column terminal.
 */
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

export interface TextColumn { header: string; align?: "left" | "right"; max?: number }

const cut = (s: string, max = DASHBOARD_WIDTH) => (s.length > max ? `${s.slice(0, max - 1)}~` : s);

/** Aligned columns, two spaces apart, indented by two; over-long cells are cut with "~". */
export function textTable(columns: readonly TextColumn[], rows: string[][]): string[] {
  const cells = rows.map((r) => r.map((v, i) => cut(v, columns[i]?.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    `  ${r.map((v, i) => (columns[i]?.align === "right" ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join("  ")}`.trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

/** The dashboard's lines as one text, each cut to DASHBOARD_WIDTH. */
export function dashboardText(lines: string[]): string {
  return `${lines.map((l) => cut(l)).join("\n")}\n`;
}

/** Title left, `generated_at` right (as UTC to the second), then a rule. */
export function headerLines(title: string, at: string): string[] {
  const when = `${at.slice(0, 19).replace("T", " ")} UTC`;
  const gap = Math.max(2, DASHBOARD_WIDTH - title.length - when.length);
  return [`${title}${" ".repeat(gap)}${when}`.slice(0, DASHBOARD_WIDTH), "=".repeat(DASHBOARD_WIDTH)];
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

/** The columns of one request window per row, after whatever columns name the row. */
export const TRAFFIC_COLUMNS: readonly TextColumn[] = [
  { header: "window" },
  { header: "requests", align: "right" },
  { header: "req/min", align: "right" },
  { header: "5xx rate", align: "right" },
  { header: "4xx rate", align: "right" },
  { header: "p50 ms", align: "right" },
  { header: "p95 ms", align: "right" },
  { header: "p99 ms", align: "right" },
];

/** One row of TRAFFIC_COLUMNS: the window's label, counts, error rates and latency percentiles. */
export function trafficCells(label: string, w: WindowSummary): string[] {
  return [
    label,
    String(w.requests),
    w.requests_per_minute.toFixed(2),
    formatPercent(w.error_rate),
    formatPercent(w.client_error_rate),
    formatMs(w.latency_ms.p50),
    formatMs(w.latency_ms.p95),
    formatMs(w.latency_ms.p99),
  ];
}
