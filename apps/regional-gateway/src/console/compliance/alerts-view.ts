import { html } from "hono/html";
import { select, submit, textarea, input as textInput } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table, type TableOptions } from "../layout/table.ts";
import { badge, severityBadge, when } from "./bits.ts";

export interface AlertItem {
  event_id: string;
  customer_id: string | null;
  event_type: string;
  severity: string;
  description: string;
  bucket: string | null;
  key: string | null;
  remediation_deadline: string | null;
  created_at: string;
  overdue: boolean;
}

export interface AlertsViewInput {
  items: AlertItem[];
  filters: { customer_id: string; severity: string };
  /** Filter errors the API reported, by field. */
  filterErrors: Record<string, string>;
  paging: Pick<TableOptions<unknown>, "next" | "first">;
  /** The signed-in role may resolve (admin, compliance officer); auditors only read. */
  canResolve: boolean;
  /** A customer-scoped session has no customer filter: it sees its own customer only. */
  scoped: boolean;
  csrf: Html;
  /** A refused resolution, shown next to that alert's note field. */
  error?: { eventId: string; message: string; note: string };
}

const SEVERITIES = ["critical", "high", "medium", "low"] as const;

function deadline(a: AlertItem) {
  if (!a.remediation_deadline) return html`<span class="muted">none</span>`;
  return html`${when(a.remediation_deadline)}${a.overdue ? html` ${badge("overdue", "bad")}` : ""}`;
}

function resolveForm(a: AlertItem, input: AlertsViewInput) {
  const err = input.error?.eventId === a.event_id ? input.error : undefined;
  return html`<form method="post" action="/console/compliance/alerts/${a.event_id}/resolve">
    ${input.csrf}
    ${textarea({ name: "resolution_note", id: `note-${a.event_id}`, label: "Resolution note", rows: 2, required: true, value: err?.note, error: err?.message })}
    ${submit("Resolve")}
  </form>`;
}

function filterForm(input: AlertsViewInput) {
  const f = input.filters;
  return html`<form method="get" action="/console/compliance" class="filters">
    ${input.scoped ? "" : textInput({ name: "customer_id", label: "Customer", value: f.customer_id, placeholder: "all customers", error: input.filterErrors.customer_id })}
    ${select({ name: "severity", label: "Severity", value: f.severity, error: input.filterErrors.severity, options: [{ value: "", label: "any" }, ...SEVERITIES.map((s) => ({ value: s, label: s }))] })}
    <div class="field">${submit("Filter", { kind: "plain" })}</div>
  </form>`;
}

/** Open compliance alerts, newest first, with their remediation deadline; officers resolve them here. */
export function alertsView(input: AlertsViewInput): Html {
  const filtered = Boolean(input.filters.customer_id || input.filters.severity);
  return html`<h2>Open alerts</h2>
  ${filterForm(input)}
  ${table<AlertItem>({
    caption: "Open alerts, newest first (the overdue are past their remediation deadline)",
    rows: input.items,
    empty: filtered
      ? "No open alerts match these filters. Clear the filters to see every open alert."
      : "No open alerts. Run a residency validation or an integrity verification to check again.",
    ...input.paging,
    columns: [
      { label: "Severity", cell: (a) => severityBadge(a.severity) },
      { label: "Type", cell: (a) => a.event_type },
      { label: "Customer", cell: (a) => a.customer_id ?? html`<span class="muted">region-wide</span>` },
      { label: "What", cell: (a) => html`${a.description}${a.bucket ? html`<br><code>${a.bucket}${a.key ? `/${a.key}` : ""}</code>` : ""}` },
      { label: "Raised", cell: (a) => when(a.created_at) },
      { label: "Remediate by", cell: deadline },
      ...(input.canResolve ? [{ label: "Resolve", cell: (a: AlertItem) => resolveForm(a, input) }] : []),
    ],
  })}`;
}
