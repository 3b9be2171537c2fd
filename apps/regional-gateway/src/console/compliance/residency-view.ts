import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export interface ResidencyReport {
  region: string;
  customer_id: string | null;
  checked: number;
  customers_checked: number;
  violation_count: number;
  violations: { customer_id: string; bucket: string; key: string; requirement: string; storage_provider: string; storage_country: string; storage_region: string; reason: string }[];
  violations_truncated: boolean;
  events_raised: number;
  storage_locations: { target_id: string; country: string; country_basis: string; objects: number; bytes: number }[];
  checked_at: string;
}

export interface ResidencyViewInput {
  csrf: HtmlEscapedString | Promise<HtmlEscapedString>;
  scoped: boolean;
  customerId: string;
  error?: { field: string | null; message: string };
  report?: ResidencyReport;
}

function form(input: ResidencyViewInput) {
  const err = input.error;
  return html`<form method="post" action="/console/compliance/residency" class="stack-form">
    ${input.csrf}
    ${input.scoped
      ? ""
      : html`<label for="res-customer">Customer <span class="hint">(leave empty to check the whole region)</span></label>
        <input id="res-customer" name="customer_id" value="${input.customerId}"${err?.field === "customer_id" ? html` aria-invalid="true" aria-describedby="res-customer-error"` : ""}>
        ${err?.field === "customer_id" ? html`<p class="field-error" id="res-customer-error">${err.message}</p>` : ""}`}
    ${err && err.field !== "customer_id" ? html`<p class="field-error" role="alert">${err.message}</p>` : ""}
    <p class="hint">Checks every stored object against its customer's residency requirement and the storage it is on. Each violation raises an alert.</p>
    <button type="submit">Run residency validation</button>
  </form>`;
}

function report(r: ResidencyReport) {
  const ok = r.violation_count === 0;
  return html`<section aria-labelledby="res-result-h" class="result">
    <h2 id="res-result-h">Result</h2>
    <p class="status ${ok ? "status-ok" : "status-bad"}" role="status">${ok ? "Compliant: no object violates residency." : `${r.violation_count} object(s) violate residency.`}</p>
    <dl class="facts">
      <dt>Scope</dt><dd>${r.customer_id ?? `all customers in ${r.region}`}</dd>
      <dt>Objects checked</dt><dd>${r.checked}</dd>
      <dt>Customers checked</dt><dd>${r.customers_checked}</dd>
      <dt>Violations</dt><dd>${r.violation_count}</dd>
      <dt>New alerts raised</dt><dd>${r.events_raised}</dd>
      <dt>Checked at</dt><dd><time datetime="${r.checked_at}">${r.checked_at}</time></dd>
    </dl>
    ${r.violations.length === 0 ? "" : html`<div class="table-wrap"><table>
      <caption>Violations${r.violations_truncated ? ` (first ${r.violations.length} of ${r.violation_count})` : ""}</caption>
      <thead><tr><th scope="col">Customer</th><th scope="col">Object</th><th scope="col">Requirement</th><th scope="col">Stored on</th><th scope="col">Why</th></tr></thead>
      <tbody>${r.violations.map((v) => html`<tr><td>${v.customer_id}</td><td><code>${v.bucket}/${v.key}</code></td><td>${v.requirement}</td><td>${v.storage_provider} (${v.storage_region}, ${v.storage_country})</td><td class="wrap">${v.reason}</td></tr>`)}</tbody>
    </table></div>`}
    ${r.storage_locations.length === 0 ? html`<p class="empty">No objects stored yet in this scope.</p>` : html`<div class="table-wrap"><table>
      <caption>Where the data is stored</caption>
      <thead><tr><th scope="col">Storage target</th><th scope="col">Country</th><th scope="col">Country basis</th><th scope="col" class="num">Objects</th><th scope="col" class="num">Bytes</th></tr></thead>
      <tbody>${r.storage_locations.map((l) => html`<tr><td>${l.target_id}</td><td>${l.country}</td><td>${l.country_basis}</td><td class="num">${l.objects}</td><td class="num">${l.bytes}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

/** The residency validation form, and the report of the run the form just made. */
export function residencyView(input: ResidencyViewInput) {
  return html`${form(input)}${input.report ? report(input.report) : ""}`;
}
