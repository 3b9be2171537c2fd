import { html } from "hono/html";
import { formError, input as textInput, submit } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table } from "../layout/table.ts";
import { badge, facts, stats, when } from "./bits.ts";

type Violation = { customer_id: string; bucket: string; key: string; requirement: string; storage_provider: string; storage_country: string; storage_region: string; reason: string };
type Location = { target_id: string; country: string; country_basis: string; objects: number; bytes: number };

export interface ResidencyReport {
  region: string;
  customer_id: string | null;
  checked: number;
  customers_checked: number;
  violation_count: number;
  violations: Violation[];
  violations_truncated: boolean;
  events_raised: number;
  storage_locations: Location[];
  checked_at: string;
}

export interface ResidencyViewInput {
  csrf: Html;
  scoped: boolean;
  customerId: string;
  errors: { customer_id?: string; general?: string };
  report?: ResidencyReport;
}

function form(input: ResidencyViewInput) {
  return html`<h2>Run a validation</h2>
  <form method="post" action="/console/compliance/residency" class="card">
    ${input.csrf}
    <p>Checks every stored object against its customer's residency requirement and the storage it is actually on. Each violation marks the object and raises an alert.</p>
    ${input.scoped ? "" : textInput({ name: "customer_id", label: "Customer", value: input.customerId, hint: "Leave empty to check every customer in the region.", error: input.errors.customer_id })}
    ${formError(input.errors.general)}
    ${submit("Run residency validation")}
  </form>`;
}

function report(r: ResidencyReport) {
  const ok = r.violation_count === 0;
  return html`<section aria-labelledby="res-result-h">
    <h2 id="res-result-h">Result ${ok ? badge("compliant", "ok") : badge("violations found", "bad")}</h2>
    <p role="status">${ok ? "No stored object violates its customer's residency requirement." : `${r.violation_count} object(s) are stored where their customer's requirement does not allow.`}</p>
    ${stats([
      { label: "objects checked", value: r.checked },
      { label: "customers checked", value: r.customers_checked },
      { label: "violations", value: r.violation_count },
      { label: "new alerts raised", value: r.events_raised },
    ])}
    ${facts("This run", [["Scope", r.customer_id ?? `every customer in ${r.region}`], ["Checked at", when(r.checked_at)]])}
    ${ok ? "" : table<Violation>({
      caption: r.violations_truncated ? `Violations (first ${r.violations.length} of ${r.violation_count})` : "Violations",
      rows: r.violations,
      empty: "",
      columns: [
        { label: "Customer", cell: (v) => v.customer_id },
        { label: "Object", cell: (v) => html`<code>${v.bucket}/${v.key}</code>` },
        { label: "Requirement", cell: (v) => v.requirement },
        { label: "Stored on", cell: (v) => `${v.storage_provider} (${v.storage_region}, ${v.storage_country})` },
        { label: "Why", cell: (v) => v.reason },
      ],
    })}
    ${table<Location>({
      caption: "Where the data is stored",
      rows: r.storage_locations,
      empty: "No objects are stored in this scope yet.",
      columns: [
        { label: "Storage target", cell: (l) => l.target_id },
        { label: "Country", cell: (l) => l.country },
        { label: "Country basis", cell: (l) => l.country_basis },
        { label: "Objects", cell: (l) => l.objects, numeric: true },
        { label: "Bytes", cell: (l) => l.bytes, numeric: true },
      ],
    })}
  </section>`;
}

/** The residency validation form, and the report of the run the form just made. */
export function residencyView(input: ResidencyViewInput): Html {
  return html`${form(input)}${input.report ? report(input.report) : ""}`;
}
