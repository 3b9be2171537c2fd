import { html } from "hono/html";

export interface JurisdictionItem {
  customer_id: string;
  requirement: string;
  home_region: string;
  country: string;
  legal_zone: string;
  jurisdictions: string[];
  data_locations: { storage_provider: string; storage_region: string; storage_country: string; legal_zone: string; objects: number; bytes: number; permitted: boolean }[];
  operations: number;
  cross_border_operations: number;
  denied_operations: number;
  open_violations: number;
  compliant: boolean;
}

export interface JurisdictionViewInput {
  scoped: boolean;
  /** The form's values as typed: dates are YYYY-MM-DD (UTC days). */
  values: { customer_id: string; from: string; to: string };
  errors: Record<string, string>;
  report?: { region: string; window: { from: string; to: string }; items: JurisdictionItem[] };
  nextHref: string | null;
}

function dateField(input: JurisdictionViewInput, name: "from" | "to", label: string) {
  const err = input.errors[name];
  return html`<label for="jr-${name}">${label}
    <input type="date" id="jr-${name}" name="${name}" value="${input.values[name]}"${err ? html` aria-invalid="true" aria-describedby="jr-${name}-error"` : ""}></label>
    ${err ? html`<p class="field-error" id="jr-${name}-error">${err}</p>` : ""}`;
}

function locations(item: JurisdictionItem) {
  if (item.data_locations.length === 0) return html`<span class="muted">no data stored</span>`;
  return html`<ul class="plain">${item.data_locations.map((d) => html`<li>${d.storage_country} (${d.legal_zone}, ${d.storage_provider}): ${d.objects} object(s), ${d.bytes} bytes — ${d.permitted ? "permitted" : html`<strong class="text-danger">not permitted</strong>`}</li>`)}</ul>`;
}

function table(input: JurisdictionViewInput) {
  const r = input.report!;
  if (r.items.length === 0) return html`<p class="empty">No customers are registered in this region yet. Register one from the Customers page.</p>`;
  return html`<div class="table-wrap"><table>
    <caption>Jurisdiction compliance in ${r.region}, ${r.window.from.slice(0, 10)} to ${r.window.to.slice(0, 10)}</caption>
    <thead><tr><th scope="col">Customer</th><th scope="col">Requirement</th><th scope="col">Home</th><th scope="col">Where the data is</th><th scope="col" class="num">Operations</th><th scope="col" class="num">Cross-border</th><th scope="col" class="num">Denied</th><th scope="col" class="num">Open violations</th><th scope="col">Compliant</th></tr></thead>
    <tbody>${r.items.map((i) => html`<tr>
      <td>${i.customer_id}</td><td>${i.requirement}</td><td>${i.home_region} (${i.country}, ${i.legal_zone})</td>
      <td>${locations(i)}</td>
      <td class="num">${i.operations}</td><td class="num">${i.cross_border_operations}</td><td class="num">${i.denied_operations}</td><td class="num">${i.open_violations}</td>
      <td>${i.compliant ? html`<span class="badge badge-ok">yes</span>` : html`<span class="badge badge-danger">no</span>`}</td>
    </tr>`)}</tbody>
  </table></div>
  ${input.nextHref ? html`<nav class="pager" aria-label="Report pages"><a href="${input.nextHref}">Next customers</a></nav>` : ""}`;
}

/** The jurisdiction report for a chosen period (whole UTC days; the default is the last 30 days). */
export function jurisdictionView(input: JurisdictionViewInput) {
  const other = input.errors[""];
  return html`<form method="get" action="/console/compliance/jurisdiction" class="filters">
    ${input.scoped ? "" : html`<label for="jr-customer">Customer <input id="jr-customer" name="customer_id" value="${input.values.customer_id}" placeholder="all customers"${input.errors.customer_id ? html` aria-invalid="true" aria-describedby="jr-customer-error"` : ""}></label>
      ${input.errors.customer_id ? html`<p class="field-error" id="jr-customer-error">${input.errors.customer_id}</p>` : ""}`}
    ${dateField(input, "from", "From (UTC)")}
    ${dateField(input, "to", "To (UTC, inclusive)")}
    <button type="submit">Show report</button>
  </form>
  ${other ? html`<p class="field-error" role="alert">${other}</p>` : ""}
  ${input.report ? table(input) : ""}`;
}
