import { dashboardText, formatBytes, headerLines, textTable, TRAFFIC_COLUMNS, trafficCells } from "@s3gw/core";
import type { RegionalDashboard } from "./ops-dashboard.ts";
import type { WindowSummary } from "./request-stats.ts";

function trafficTable(windows: Array<[string, WindowSummary]>): string[] {
  return textTable(TRAFFIC_COLUMNS, windows.map(([label, w]) => trafficCells(label, w)));
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
      `  customer keys    ${c.keys.enabled} enabled, ${c.keys.disabled} disabled, ${c.keys.pending_deletion} pending deletion, ${c.keys.destroyed} destroyed; ${c.keys.shreds_pending} crypto-shreds pending`,
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
  return dashboardText(out);
}
