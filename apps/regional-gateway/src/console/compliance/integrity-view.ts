import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export interface IntegrityReport {
  checked: number;
  ok: number;
  mismatched: { bucket: string; key: string; expected_sha256: string; actual_sha256: string | null; reason: string }[];
  duration_ms: number;
}

export interface IntegrityViewInput {
  csrf: HtmlEscapedString | Promise<HtmlEscapedString>;
  /** The scoped session's customer, fixed in the form. */
  scopedCustomer: string | null;
  values: { customer_id: string; bucket: string; key: string };
  /** Errors by field name (customer_id, bucket, key), or "" for one no field owns. */
  errors: Record<string, string>;
  report?: IntegrityReport;
}

function field(input: IntegrityViewInput, name: "customer_id" | "bucket" | "key", label: string, hint: string) {
  const err = input.errors[name];
  const id = `iv-${name}`;
  return html`<label for="${id}">${label} <span class="hint">${hint}</span></label>
    <input id="${id}" name="${name}" value="${input.values[name]}"${name === "customer_id" ? " required" : ""}${err ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}>
    ${err ? html`<p class="field-error" id="${id}-error">${err}</p>` : ""}`;
}

function report(r: IntegrityReport) {
  const clean = r.mismatched.length === 0;
  return html`<section aria-labelledby="iv-result-h" class="result">
    <h2 id="iv-result-h">Result</h2>
    <p class="status ${clean ? "status-ok" : "status-bad"}" role="status">${clean ? "Every checked object matches its recorded SHA-256." : `${r.mismatched.length} object(s) do not match: they are marked failed and refuse reads.`}</p>
    <dl class="facts">
      <dt>Checked</dt><dd data-testid="iv-checked">${r.checked}</dd>
      <dt>OK</dt><dd data-testid="iv-ok">${r.ok}</dd>
      <dt>Mismatched</dt><dd data-testid="iv-mismatched">${r.mismatched.length}</dd>
      <dt>Took</dt><dd>${r.duration_ms} ms</dd>
    </dl>
    ${clean ? "" : html`<div class="table-wrap"><table>
      <caption>Objects that failed verification</caption>
      <thead><tr><th scope="col">Object</th><th scope="col">Problem</th><th scope="col">Recorded SHA-256</th><th scope="col">Found</th></tr></thead>
      <tbody>${r.mismatched.map((m) => html`<tr><td><code>${m.bucket}/${m.key}</code></td><td>${m.reason.replace("_", " ")}</td><td><code class="hash">${m.expected_sha256}</code></td><td>${m.actual_sha256 ? html`<code class="hash">${m.actual_sha256}</code>` : html`<span class="muted">no bytes</span>`}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

/** Re-hashing an object, a bucket or a whole customer against the recorded SHA-256. */
export function integrityView(input: IntegrityViewInput) {
  const other = input.errors[""];
  return html`<form method="post" action="/console/compliance/integrity" class="stack-form">
    ${input.csrf}
    ${input.scopedCustomer
      ? html`<input type="hidden" name="customer_id" value="${input.scopedCustomer}"><p>Customer: <strong>${input.scopedCustomer}</strong></p>`
      : field(input, "customer_id", "Customer", "(required)")}
    ${field(input, "bucket", "Bucket", "(optional: empty checks every bucket)")}
    ${field(input, "key", "Object key", "(optional: needs a bucket)")}
    ${other ? html`<p class="field-error" role="alert">${other}</p>` : ""}
    <button type="submit">Verify integrity</button>
  </form>
  ${input.report ? report(input.report) : ""}`;
}
