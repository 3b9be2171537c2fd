import { html } from "hono/html";
import { formError, input as textInput, submit } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table, type TableOptions } from "../layout/table.ts";
import { badge } from "./bits.ts";

type Location = { storage_provider: string; storage_region: string; storage_country: string; legal_zone: string; objects: number; bytes: number; permitted: boolean };

export interface JurisdictionItem {
  customer_id: string;
  requirement: string;
  home_region: string;
  country: string;
  legal_zone: string;
  jurisdictions: string[];
  data_locations: Location[];
  operations: number;
  cross_border_operations: number;
  denied_operations: number;
  open_violations: number;
  compliant: boolean;
}

export interface JurisdictionReport { region: string; window: { from: string; to: string }; items: JurisdictionItem[] }

export interface JurisdictionViewInput {
  scoped: boolean;
  /** The form's values as typed: dates are YYYY-MM-DD (UTC days). */
  values: { customer_id: string; from: string; to: string };
  errors: Record<string, string>;
  report?: JurisdictionReport;
  paging: Pick<TableOptions<unknown>, "next" | "first">;
}

function locations(item: JurisdictionItem) {
  if (item.data_locations.length === 0) return html`<span class="muted">no data stored</span>`;
  return html`${item.data_locations.map(
    (d) => html`<div>${d.storage_country} (${d.legal_zone}, ${d.storage_provider}): ${d.objects} object(s), ${d.bytes} bytes ${d.permitted ? badge("permitted", "ok") : badge("not permitted", "bad")}</div>`,
  )}`;
}

function report(input: JurisdictionViewInput, r: JurisdictionReport) {
  return table<JurisdictionItem>({
    caption: `Jurisdiction compliance in ${r.region}, ${r.window.from.slice(0, 10)} to ${r.window.to.slice(0, 10)} (UTC)`,
    rows: r.items,
    empty: "No customers are registered in this region yet. Register one from the Customers page.",
    ...input.paging,
    columns: [
      { label: "Customer", cell: (i) => i.customer_id },
      { label: "Requirement", cell: (i) => i.requirement },
      { label: "Home", cell: (i) => `${i.home_region} (${i.country}, ${i.legal_zone})` },
      { label: "Where the data is", cell: locations },
      { label: "Operations", cell: (i) => i.operations, numeric: true },
      { label: "Cross-border", cell: (i) => i.cross_border_operations, numeric: true },
      { label: "Denied", cell: (i) => i.denied_operations, numeric: true },
      { label: "Open violations", cell: (i) => i.open_violations, numeric: true },
      { label: "Compliant", cell: (i) => (i.compliant ? badge("yes", "ok") : badge("no", "bad")) },
    ],
  });
}

/** The jurisdiction report for a chosen period (whole UTC days; the default is the last 30 days). */
export function jurisdictionView(input: JurisdictionViewInput): Html {
  const v = input.values;
  const e = input.errors;
  return html`<h2>Period</h2>
  <form method="get" action="/console/compliance/jurisdiction" class="filters">
    ${input.scoped ? "" : textInput({ name: "customer_id", label: "Customer", value: v.customer_id, placeholder: "all customers", error: e.customer_id })}
    ${textInput({ name: "from", type: "date", label: "From (UTC day)", value: v.from, error: e.from })}
    ${textInput({ name: "to", type: "date", label: "To (UTC day, inclusive)", value: v.to, error: e.to })}
    <div class="field">${submit("Show report", { kind: "plain" })}</div>
  </form>
  <p class="hint">Without dates the report covers the last 30 days.</p>
  ${formError(e[""])}
  ${input.report ? report(input, input.report) : ""}`;
}
