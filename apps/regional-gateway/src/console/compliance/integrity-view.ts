import { html } from "hono/html";
import { formError, input as textInput, submit } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table } from "../layout/table.ts";
import { badge, stats } from "./bits.ts";

type Mismatch = { bucket: string; key: string; expected_sha256: string; actual_sha256: string | null; reason: string };

export interface IntegrityReport {
  checked: number;
  ok: number;
  mismatched: Mismatch[];
  duration_ms: number;
}

export interface IntegrityViewInput {
  csrf: Html;
  /** The scoped session's customer, fixed in the form. */
  scopedCustomer: string | null;
  values: { customer_id: string; bucket: string; key: string };
  /** Errors by field name (customer_id, bucket, key), or "" for one no field owns. */
  errors: Record<string, string>;
  report?: IntegrityReport;
}

function report(r: IntegrityReport) {
  const clean = r.mismatched.length === 0;
  return html`<section aria-labelledby="iv-result-h">
    <h2 id="iv-result-h">Result ${clean ? badge("all match", "ok") : badge("mismatches found", "bad")}</h2>
    <p role="status">${clean ? "Every checked object matches its recorded SHA-256." : `${r.mismatched.length} object(s) do not match: they are marked failed, refuse reads and raised critical alerts.`} Took ${r.duration_ms} ms.</p>
    ${stats([
      { label: "checked", value: r.checked },
      { label: "ok", value: r.ok },
      { label: "mismatched", value: r.mismatched.length },
    ])}
    ${clean ? "" : table<Mismatch>({
      caption: "Objects that failed verification",
      rows: r.mismatched,
      empty: "",
      columns: [
        { label: "Object", cell: (m) => html`<code>${m.bucket}/${m.key}</code>` },
        { label: "Problem", cell: (m) => m.reason.replace("_", " ") },
        { label: "Recorded SHA-256", cell: (m) => html`<code>${m.expected_sha256}</code>` },
        { label: "Found", cell: (m) => (m.actual_sha256 ? html`<code>${m.actual_sha256}</code>` : html`<span class="muted">no bytes</span>`) },
      ],
    })}
  </section>`;
}

/** Re-hashing an object, a bucket or a whole customer against the recorded SHA-256. */
export function integrityView(input: IntegrityViewInput): Html {
  const v = input.values;
  const e = input.errors;
  return html`<h2>What to verify</h2>
  <form method="post" action="/console/compliance/integrity" class="card">
    ${input.csrf}
    <p>Streams the stored bytes through SHA-256 and compares them with the hash recorded at upload.</p>
    ${input.scopedCustomer
      ? html`<input type="hidden" name="customer_id" value="${input.scopedCustomer}"><p>Customer: <strong>${input.scopedCustomer}</strong></p>`
      : textInput({ name: "customer_id", label: "Customer", value: v.customer_id, required: true, error: e.customer_id })}
    ${textInput({ name: "bucket", label: "Bucket", value: v.bucket, hint: "Optional: leave empty to check every bucket of the customer.", error: e.bucket })}
    ${textInput({ name: "key", label: "Object key", value: v.key, hint: "Optional: one object (needs a bucket).", error: e.key })}
    ${formError(e[""])}
    ${submit("Verify integrity")}
  </form>
  ${input.report ? report(input.report) : ""}`;
}
