import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

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
  filters: { customer_id?: string; severity?: string };
  /** Link to the next page, or null on the last. */
  nextHref: string | null;
  /** The signed-in role may resolve (admin, compliance officer); auditors only read. */
  canResolve: boolean;
  /** A customer-scoped session has no customer filter: it sees its own customer only. */
  scoped: boolean;
  csrf: HtmlEscapedString | Promise<HtmlEscapedString>;
  /** A refused resolution, shown next to that alert's note field. */
  error?: { eventId: string; message: string; note: string };
}

const SEVERITIES = ["critical", "high", "medium", "low"] as const;

const when = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC");

function deadline(a: AlertItem) {
  if (!a.remediation_deadline) return html`<span class="muted">none</span>`;
  return html`<time datetime="${a.remediation_deadline}">${when(a.remediation_deadline)}</time>${a.overdue ? html` <span class="badge badge-danger">overdue</span>` : ""}`;
}

function resolveForm(a: AlertItem, input: AlertsViewInput) {
  const err = input.error?.eventId === a.event_id ? input.error : undefined;
  const fieldId = `note-${a.event_id}`;
  return html`<form method="post" action="/console/compliance/alerts/${a.event_id}/resolve" class="inline-form">
    ${input.csrf}
    <label for="${fieldId}">Resolution note</label>
    <textarea id="${fieldId}" name="resolution_note" rows="2" maxlength="2000" required${err ? html` aria-invalid="true" aria-describedby="${fieldId}-error"` : ""}>${err?.note ?? ""}</textarea>
    ${err ? html`<p class="field-error" id="${fieldId}-error">${err.message}</p>` : ""}
    <button type="submit">Resolve</button>
  </form>`;
}

function row(a: AlertItem, input: AlertsViewInput) {
  const subject = a.bucket ? `${a.bucket}${a.key ? `/${a.key}` : ""}` : "";
  return html`<tr class="${a.overdue ? "row-overdue" : ""}" data-event-id="${a.event_id}">
    <td><span class="badge severity-${a.severity}">${a.severity}</span></td>
    <td>${a.event_type}</td>
    <td>${a.customer_id ?? html`<span class="muted">region-wide</span>`}</td>
    <td class="wrap">${a.description}${subject ? html`<br><code>${subject}</code>` : ""}</td>
    <td><time datetime="${a.created_at}">${when(a.created_at)}</time></td>
    <td>${deadline(a)}</td>
    ${input.canResolve ? html`<td>${resolveForm(a, input)}</td>` : ""}
  </tr>`;
}

function filterForm(input: AlertsViewInput) {
  const f = input.filters;
  return html`<form method="get" action="/console/compliance" class="filters">
    ${input.scoped ? "" : html`<label>Customer <input name="customer_id" value="${f.customer_id ?? ""}" placeholder="all customers"></label>`}
    <label>Severity <select name="severity">
      <option value="">any</option>
      ${SEVERITIES.map((s) => html`<option value="${s}"${f.severity === s ? " selected" : ""}>${s}</option>`)}
    </select></label>
    <button type="submit">Filter</button>
  </form>`;
}

/** Open compliance alerts, newest first, with their remediation deadline; officers resolve them here. */
export function alertsView(input: AlertsViewInput) {
  const empty = input.filters.customer_id || input.filters.severity
    ? "No open alerts match these filters. Clear the filters to see every open alert."
    : "No open alerts. Run a residency validation or an integrity verification to check again.";
  return html`<section aria-labelledby="alerts-h">
    <h2 id="alerts-h">Open alerts</h2>
    ${filterForm(input)}
    ${input.items.length === 0
      ? html`<p class="empty">${empty}</p>`
      : html`<div class="table-wrap"><table>
        <caption>Open compliance alerts, newest first</caption>
        <thead><tr><th scope="col">Severity</th><th scope="col">Type</th><th scope="col">Customer</th><th scope="col">What</th><th scope="col">Raised</th><th scope="col">Remediate by</th>${input.canResolve ? html`<th scope="col">Resolve</th>` : ""}</tr></thead>
        <tbody>${input.items.map((a) => row(a, input))}</tbody>
      </table></div>`}
    ${input.nextHref ? html`<nav class="pager" aria-label="Alert pages"><a href="${input.nextHref}">Next page</a></nav>` : ""}
  </section>`;
}
