import { html } from "hono/html";

export interface OperationItem {
  id: number;
  request_id: string;
  created_at: string;
  customer_id: string | null;
  operation: string;
  bucket: string | null;
  key: string | null;
  result: string;
  status_code: number | null;
  error_code: string | null;
  source_ip: string | null;
  source_country: string | null;
  cross_border: boolean;
  principal: string | null;
}

/** The filter form's values as typed; times are `datetime-local` values read as UTC. */
export interface OperationFilters {
  customer_id: string;
  operation: string;
  result: string;
  bucket: string;
  key_prefix: string;
  from: string;
  to: string;
  cross_border_only: boolean;
}

export interface OperationsViewInput {
  items: OperationItem[];
  filters: OperationFilters;
  errors: Record<string, string>;
  nextHref: string | null;
  scoped: boolean;
  /** Region-wide admins and auditors may verify the chain and export the log. */
  chainLink: boolean;
}

const RESULTS = ["success", "denied", "error"] as const;

function text(input: OperationsViewInput, name: "customer_id" | "operation" | "bucket" | "key_prefix", label: string, placeholder: string) {
  const err = input.errors[name];
  return html`<label for="op-${name}">${label}
    <input id="op-${name}" name="${name}" value="${input.filters[name]}" placeholder="${placeholder}"${err ? html` aria-invalid="true" aria-describedby="op-${name}-error"` : ""}></label>
    ${err ? html`<p class="field-error" id="op-${name}-error">${err}</p>` : ""}`;
}

function time(input: OperationsViewInput, name: "from" | "to", label: string) {
  const err = input.errors[name];
  return html`<label for="op-${name}">${label}
    <input type="datetime-local" step="1" id="op-${name}" name="${name}" value="${input.filters[name]}"${err ? html` aria-invalid="true" aria-describedby="op-${name}-error"` : ""}></label>
    ${err ? html`<p class="field-error" id="op-${name}-error">${err}</p>` : ""}`;
}

function filterForm(input: OperationsViewInput) {
  const f = input.filters;
  return html`<form method="get" action="/console/audit" class="filters">
    ${input.scoped ? "" : text(input, "customer_id", "Customer", "any")}
    ${text(input, "operation", "Operation", "e.g. PutObject")}
    <label for="op-result">Result <select id="op-result" name="result"><option value="">any</option>${RESULTS.map((r) => html`<option value="${r}"${f.result === r ? " selected" : ""}>${r}</option>`)}</select></label>
    ${text(input, "bucket", "Bucket", "any")}
    ${text(input, "key_prefix", "Key prefix", "e.g. contracts/")}
    ${time(input, "from", "From (UTC)")}
    ${time(input, "to", "To (UTC)")}
    <label class="check"><input type="checkbox" name="cross_border_only" value="true"${f.cross_border_only ? " checked" : ""}> Cross-border only</label>
    <button type="submit">Filter</button>
    <a href="/console/audit">Clear filters</a>
  </form>
  ${input.errors[""] ? html`<p class="field-error" role="alert">${input.errors[""]}</p>` : ""}`;
}

function row(o: OperationItem) {
  const target = o.bucket ? `${o.bucket}${o.key ? `/${o.key}` : ""}` : "";
  return html`<tr data-op-id="${o.id}">
    <td><time datetime="${o.created_at}">${o.created_at.replace("T", " ").replace("Z", "")}</time></td>
    <td>${o.operation}</td>
    <td>${o.customer_id ?? html`<span class="muted">none</span>`}</td>
    <td class="wrap">${target ? html`<code>${target}</code>` : ""}</td>
    <td><span class="badge result-${o.result}">${o.result}</span>${o.status_code ? ` ${o.status_code}` : ""}${o.error_code ? html`<br><span class="muted">${o.error_code}</span>` : ""}</td>
    <td class="wrap">${o.principal ?? ""}</td>
    <td>${o.source_country ?? html`<span class="muted">unknown</span>`}${o.cross_border ? html` <span class="badge badge-warn">cross-border</span>` : ""}</td>
  </tr>`;
}

/** The operations log, newest first, with every filter the API offers. */
export function operationsView(input: OperationsViewInput) {
  return html`${input.chainLink ? html`<p><a href="/console/audit/chain">Chain verification, checkpoints and export</a></p>` : ""}
  ${filterForm(input)}
  ${input.items.length === 0
    ? html`<p class="empty">No operations match these filters. Widen the time range or clear the filters.</p>`
    : html`<div class="table-wrap"><table>
      <caption>Operations log, newest first</caption>
      <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Operation</th><th scope="col">Customer</th><th scope="col">Bucket / key</th><th scope="col">Result</th><th scope="col">Principal</th><th scope="col">Source</th></tr></thead>
      <tbody>${input.items.map(row)}</tbody>
    </table></div>`}
  ${input.nextHref ? html`<nav class="pager" aria-label="Log pages"><a href="${input.nextHref}">Older entries</a></nav>` : ""}`;
}
