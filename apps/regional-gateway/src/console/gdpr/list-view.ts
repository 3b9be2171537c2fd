import { GDPR_REQUEST_TYPES, GDPR_STATUSES } from "@s3gw/core";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export interface DsrItem {
  request_id: string;
  customer_id: string;
  data_subject_id: string;
  request_type: string;
  status: string;
  received_at: string;
  response_deadline: string;
  deadline_state: "ok" | "near" | "overdue" | null;
  affected_objects: unknown[];
  result: Record<string, unknown> | null;
  notes: string | null;
  requested_by: string;
  updated_at: string;
  completed_at: string | null;
}

export interface DsrListViewInput {
  items: DsrItem[];
  filters: { customer_id?: string; status?: string; overdue?: string };
  nextHref: string | null;
  canCreate: boolean;
  scopedCustomer: string | null;
  csrf: HtmlEscapedString | Promise<HtmlEscapedString>;
  /** The create form as it was sent, with its errors by field, after a refused create. */
  create?: { values: Record<string, string>; errors: Record<string, string> };
  /** A filter the API refused. */
  filterError?: string;
}

const DEADLINE_TEXT = { ok: "on time", near: "deadline near", overdue: "overdue" } as const;

/** The deadline state as words and a colour (never colour alone); closed requests have none. */
export function deadlineBadge(state: DsrItem["deadline_state"]) {
  if (state === null) return html`<span class="muted">closed</span>`;
  return html`<span class="badge deadline-${state}">${DEADLINE_TEXT[state]}</span>`;
}

function createField(input: DsrListViewInput, name: string, label: string, control: (attrs: HtmlEscapedString | Promise<HtmlEscapedString>) => unknown) {
  const err = input.create?.errors[name];
  const attrs = html`id="dsr-${name}" name="${name}"${err ? html` aria-invalid="true" aria-describedby="dsr-${name}-error"` : ""}`;
  return html`<label for="dsr-${name}">${label}</label>${control(attrs)}${err ? html`<p class="field-error" id="dsr-${name}-error">${err}</p>` : ""}`;
}

function createForm(input: DsrListViewInput) {
  const v = input.create?.values ?? {};
  const other = input.create?.errors[""];
  return html`<section aria-labelledby="dsr-new-h">
    <h2 id="dsr-new-h">New request</h2>
    <form method="post" action="/console/gdpr" class="stack-form">
      ${input.csrf}
      ${input.scopedCustomer
        ? html`<input type="hidden" name="customer_id" value="${input.scopedCustomer}"><p>Customer: <strong>${input.scopedCustomer}</strong></p>`
        : createField(input, "customer_id", "Customer", (a) => html`<input ${a} value="${v.customer_id ?? ""}" required>`)}
      ${createField(input, "data_subject_id", "Data subject id (as in the objects' x-amz-meta-data-subject-id)", (a) => html`<input ${a} value="${v.data_subject_id ?? ""}" required maxlength="256">`)}
      ${createField(input, "request_type", "Request type", (a) => html`<select ${a}>${GDPR_REQUEST_TYPES.map((t) => html`<option value="${t}"${v.request_type === t ? " selected" : ""}>${t}</option>`)}</select>`)}
      ${createField(input, "notes", "Notes (optional)", (a) => html`<textarea ${a} rows="2" maxlength="10000">${v.notes ?? ""}</textarea>`)}
      ${other ? html`<p class="field-error" role="alert">${other}</p>` : ""}
      <button type="submit">Create request</button>
    </form>
  </section>`;
}

function filters(input: DsrListViewInput) {
  const f = input.filters;
  return html`<form method="get" action="/console/gdpr" class="filters">
    ${input.scopedCustomer ? "" : html`<label>Customer <input name="customer_id" value="${f.customer_id ?? ""}" placeholder="all customers"></label>`}
    <label>Status <select name="status"><option value="">any</option>${GDPR_STATUSES.map((s) => html`<option value="${s}"${f.status === s ? " selected" : ""}>${s.replace("_", " ")}</option>`)}</select></label>
    <label>Deadline <select name="overdue"><option value="">any</option><option value="true"${f.overdue === "true" ? " selected" : ""}>overdue only</option><option value="false"${f.overdue === "false" ? " selected" : ""}>not overdue</option></select></label>
    <button type="submit">Filter</button>
  </form>`;
}

function rows(items: DsrItem[]) {
  return items.map((r) => html`<tr data-request-id="${r.request_id}">
    <td><a href="/console/gdpr/${r.request_id}">${r.request_type}</a></td>
    <td>${r.customer_id}</td>
    <td class="wrap">${r.data_subject_id}</td>
    <td>${r.status.replace("_", " ")}</td>
    <td><time datetime="${r.received_at}">${r.received_at.slice(0, 10)}</time></td>
    <td><time datetime="${r.response_deadline}">${r.response_deadline.slice(0, 10)}</time></td>
    <td>${deadlineBadge(r.deadline_state)}</td>
  </tr>`);
}

/** Data-subject requests: the create form (officers) and the list with each request's deadline state. */
export function dsrListView(input: DsrListViewInput) {
  const filtered = Boolean(input.filters.customer_id || input.filters.status || input.filters.overdue);
  return html`${input.canCreate ? createForm(input) : ""}
  <section aria-labelledby="dsr-list-h">
    <h2 id="dsr-list-h">Requests</h2>
    ${filters(input)}
    ${input.filterError ? html`<p class="field-error" role="alert">${input.filterError}</p>` : ""}
    ${input.items.length === 0
      ? html`<p class="empty">${filtered ? "No requests match these filters. Clear them to see every request." : input.canCreate ? "No data-subject requests yet. Record one with the form above when a subject writes in." : "No data-subject requests yet."}</p>`
      : html`<div class="table-wrap"><table>
        <caption>Data-subject requests, newest first</caption>
        <thead><tr><th scope="col">Type</th><th scope="col">Customer</th><th scope="col">Data subject</th><th scope="col">Status</th><th scope="col">Received</th><th scope="col">Deadline</th><th scope="col">Deadline state</th></tr></thead>
        <tbody>${rows(input.items)}</tbody>
      </table></div>`}
    ${input.nextHref ? html`<nav class="pager" aria-label="Request pages"><a href="${input.nextHref}">Next page</a></nav>` : ""}
  </section>`;
}
