import { html } from "hono/html";

export interface ProbeCheck { name: string; ok: boolean; detail: string }
export interface ProbeView { ok: boolean; checks: ProbeCheck[]; error_class?: string }

/** GET /api/customers/:id/storage, as far as the page shows it. */
export interface StorageView {
  target_id: string;
  enabled: boolean;
  allow_hosted_fallback: boolean;
  status: "unvalidated" | "healthy" | "unhealthy";
  last_error_class: string | null;
  last_error: string | null;
  last_checked_at: string | null;
  last_success_at: string | null;
  activation_override_by: string | null;
  credentials_override_by: string | null;
  effective_write_target: string | null;
  target: {
    provider_label: string; endpoint: string | null; region: string; country: string; country_basis: string;
    bucket: string; path_prefix: string | null; bucket_sse: "AES256" | "aws:kms" | null; gateway_encryption: boolean;
    access_key_id: string; secret_fingerprint: string; session_token: boolean;
  };
  objects_by_target: { target_id: string; objects: number; bytes: number }[];
}

/** What to do about each class of probe failure (packages/storage/src/backend-errors.ts). */
export const ERROR_HINTS: Record<string, string> = {
  invalid_credentials: "The bucket refused the access key id or the secret. Copy both again from the provider's console, check the key is active, and rotate the credentials.",
  wrong_region: "The bucket lives in another region than the one given. Set Region to the bucket's own region (the provider's console shows it).",
  tls_error: "The endpoint's TLS certificate could not be verified. Use the provider's https endpoint with a certificate from a public CA, and check the host name.",
  missing_permission: "The credentials work but lack a permission the gateway needs. Attach the example policy below to the key's user or role.",
  bucket_policy_conflict: "Something on the bucket keeps or denies the probe's object (a bucket policy, object lock default retention, or replication). Allow the gateway's prefix, or use a bucket without them.",
  unreachable_endpoint: "The endpoint did not answer. Check the URL and port, and that this region's network may reach it (firewall, private endpoint).",
  no_such_bucket: "No bucket of that name answers at this endpoint. Check the bucket name, and create the bucket first.",
  unknown: "The probe failed for a reason it could not classify; the failed check below says what happened.",
};

const CLASS_RE = new RegExp(`\\((${Object.keys(ERROR_HINTS).join("|")})\\)`);

/** The error class an API refusal names (a 409 from a failed activation or rotation probe). */
export function errorClassIn(message: string): string | undefined {
  return CLASS_RE.exec(message)?.[1];
}

export function failureHint(errorClass: string) {
  return html`<div class="form-error" role="alert" data-error-class="${errorClass}">
    <p><strong>Validation failed: <code>${errorClass}</code></strong></p>
    <p class="hint">${ERROR_HINTS[errorClass] ?? ERROR_HINTS.unknown}</p>
  </div>`;
}

export function probeResult(probe: ProbeView) {
  return html`<section class="card" aria-labelledby="probe-title">
    <h2 id="probe-title">Probe result: ${probe.ok ? "passed" : "failed"}</h2>
    ${probe.ok ? html`<p class="flash flash-ok" role="status">Every check passed: the gateway can store this customer's objects in the bucket.</p>` : failureHint(probe.error_class ?? "unknown")}
    <div class="table-wrap"><table>
      <caption>Checks, in the order the probe runs them</caption>
      <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
      <tbody>${probe.checks.map((c) => html`<tr><td><code>${c.name}</code></td><td>${c.ok ? "ok" : "failed"}</td><td>${c.detail}</td></tr>`)}</tbody>
    </table></div>
  </section>`;
}

const STATUS_BADGE = { healthy: "badge-ok", unhealthy: "badge-bad", unvalidated: "badge-warn" } as const;

const when = (iso: string | null) => (iso ? html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$/, " UTC")}</time>` : "never");

function effectiveTarget(view: StorageView) {
  const t = view.effective_write_target;
  if (t === null) return "none: new writes are refused until the bucket validates, customer storage is disabled or hosted fallback is allowed";
  return t === view.target_id ? html`the customer's bucket <code>${t}</code>` : html`this region's hosted storage <code>${t}</code>`;
}

/** `withHint`: false when the page already shows the probe's failure and its hint above. */
export function statusPanel(view: StorageView | null, withHint = true) {
  if (!view) {
    return html`<section class="card" aria-labelledby="status-title">
      <h2 id="status-title">Status</h2>
      <dl class="facts">
        <dt>Customer storage</dt><dd>not configured</dd>
        <dt>Effective target for new objects</dt><dd data-testid="effective-target">this region's hosted storage</dd>
      </dl>
      <p>Fill in the form below and save it with the hosted mode, then validate it before switching to customer-managed storage.</p>
    </section>`;
  }
  const t = view.target;
  return html`<section class="card" aria-labelledby="status-title">
    <h2 id="status-title">Status</h2>
    <dl class="facts">
      <dt>Mode</dt><dd>${view.enabled ? "customer-managed storage" : "hosted storage (customer bucket saved, not active)"}</dd>
      <dt>Validation status</dt><dd><span class="badge ${STATUS_BADGE[view.status]}" data-testid="validation-status">${view.status}</span></dd>
      <dt>Last successful validation</dt><dd>${when(view.last_success_at)}</dd>
      <dt>Last check</dt><dd>${when(view.last_checked_at)}</dd>
      <dt>Last error</dt><dd>${view.last_error ? html`<code>${view.last_error_class}</code> ${view.last_error}` : "none"}</dd>
      <dt>Effective target for new objects</dt><dd data-testid="effective-target">${effectiveTarget(view)}</dd>
      <dt>Hosted fallback</dt><dd>${view.allow_hosted_fallback ? "allowed" : "not allowed"}</dd>
      <dt>Bucket</dt><dd>${t.bucket}${t.path_prefix ? html` / <code>${t.path_prefix}</code>` : ""} (${t.provider_label}, ${t.region}, ${t.country}, ${t.country_basis})</dd>
      <dt>Endpoint</dt><dd>${t.endpoint ?? "AWS default"}</dd>
      <dt>Access key id</dt><dd><code>${t.access_key_id}</code></dd>
      <dt>Secret</dt><dd>fingerprint <code data-testid="secret-fingerprint">${t.secret_fingerprint}</code>${t.session_token ? "; with a session token" : ""}</dd>
      ${view.activation_override_by ? html`<dt>Activated without a passing probe by</dt><dd>${view.activation_override_by}</dd>` : ""}
      ${view.credentials_override_by ? html`<dt>Credentials kept despite a failed probe by</dt><dd>${view.credentials_override_by}</dd>` : ""}
    </dl>
    ${withHint && view.status === "unhealthy" && view.last_error_class ? failureHint(view.last_error_class) : ""}
    ${view.objects_by_target.length > 0
      ? html`<div class="table-wrap"><table><caption>Objects by storage target (existing objects stay where they were written)</caption>
        <thead><tr><th scope="col">Target</th><th scope="col">Objects</th><th scope="col">Bytes</th></tr></thead>
        <tbody>${view.objects_by_target.map((u) => html`<tr><td><code>${u.target_id}</code></td><td>${u.objects}</td><td>${u.bytes}</td></tr>`)}</tbody></table></div>`
      : ""}
  </section>`;
}
