import { html } from "hono/html";
import type { FormErrors } from "../layout/api-errors.ts";
import { checkbox, formError, input, select, submit } from "../layout/forms.ts";
import type { StorageFormValues } from "./form.ts";
import { examplePolicy, PERMISSION_WARNINGS } from "./iam-policy.ts";
import { statusPanel, type StorageView } from "./status.ts";

export interface StoragePage {
  customerId: string;
  base: string;
  view: StorageView | null;
  values: StorageFormValues;
  saveErrors: FormErrors;
  rotateErrors: FormErrors;
  canManage: boolean;
  isAdmin: boolean;
  csrf: unknown;
  /** Rendered above everything: a probe result or a failure with its hint. */
  notice?: unknown;
}

/** Override with a reason: shown to admins only (the API refuses anyone else). */
function overrideFields(form: "save" | "rotate", errors: FormErrors, what: string) {
  return html`<fieldset class="override"><legend>Admin override</legend>
    ${checkbox({ name: "override_validation", id: `${form}-override`, label: what })}
    ${input({ name: "override_reason", id: `${form}-override-reason`, label: "Reason for the override", error: errors.fields.override_reason, hint: "Required with the override; recorded in the audit log." })}
  </fieldset>`;
}

function configForm(p: StoragePage) {
  const v = p.values;
  const e = p.saveErrors.fields;
  const radio = (value: string, label: string) =>
    html`<div class="field check"><input type="radio" id="mode-${value}" name="mode" value="${value}"${v.mode === value ? html` checked` : ""}><label for="mode-${value}">${label}</label></div>`;
  return html`<section class="card" aria-labelledby="config-title">
    <h2 id="config-title">Bucket configuration</h2>
    <form method="post" action="${p.base}/save" class="form" novalidate>
      ${p.csrf}
      ${formError(p.saveErrors.general)}
      ${input({ name: "provider_label", label: "Provider label", value: v.provider_label, required: true, error: e.provider_label, hint: "A name for the provider. \"aws\" means Amazon S3: the endpoint may be left empty and the country follows from the region." })}
      ${input({ name: "bucket", label: "Bucket name", value: v.bucket, required: true, error: e.bucket })}
      ${input({ name: "region", label: "Region", value: v.region, required: true, error: e.region, placeholder: "eu-north-1", hint: "The bucket's region as the provider names it." })}
      ${input({ name: "endpoint", label: "Endpoint URL", type: "url", value: v.endpoint, error: e.endpoint, placeholder: "https://s3.example.com", hint: "Optional for AWS; required for MinIO, R2 and other S3-compatible services." })}
      ${input({ name: "country", label: "Country of the bucket", value: v.country, error: e.country, placeholder: "FI", hint: "Required outside AWS, and only an admin may declare it. It must satisfy the customer's residency requirement." })}
      ${input({ name: "access_key_id", label: "Access key id", value: v.access_key_id, required: true, error: e.access_key_id, autocomplete: "off" })}
      ${input({ name: "secret_access_key", label: "Secret access key", type: "password", required: true, error: e.secret_access_key, autocomplete: "new-password", hint: p.view ? "Enter the secret again to save: it is stored encrypted and never shown again (the status shows its fingerprint)." : "Stored encrypted and never shown again (the status shows its fingerprint)." })}
      ${input({ name: "session_token", label: "Session token (optional)", type: "password", error: e.session_token, autocomplete: "new-password", hint: "Only for temporary credentials." })}
      ${input({ name: "path_prefix", label: "Path prefix (optional)", value: v.path_prefix, error: e.path_prefix, placeholder: "gateway/fi", hint: `Objects are stored under <prefix>/tenant-${p.customerId}/.` })}
      <fieldset><legend>Retention mode</legend>
        ${radio("hosted", "Hosted storage (default): new objects stay in this region's hosted storage; the bucket is saved but not used")}
        ${radio("customer", "Customer-managed storage only: new objects go to this bucket (needs a passing probe)")}
        ${checkbox({ name: "allow_hosted_fallback", label: "Allow hosted fallback: while the bucket is unhealthy, store new objects in hosted storage instead of refusing them", checked: v.allow_hosted_fallback, error: e.allow_hosted_fallback })}
      </fieldset>
      <fieldset><legend>Encryption</legend>
        ${select({ name: "bucket_sse", label: "Bucket-side encryption", value: v.bucket_sse, error: e.bucket_sse, options: [{ value: "", label: "none requested" }, { value: "AES256", label: "SSE-S3 (AES256)" }, { value: "aws:kms", label: "SSE-KMS (the bucket's default key)" }] })}
        ${checkbox({ name: "gateway_encryption", label: "The gateway encrypts objects before they reach the bucket (turn off only with bucket-side encryption)", checked: v.gateway_encryption, error: e.gateway_encryption })}
      </fieldset>
      ${p.isAdmin ? overrideFields("save", p.saveErrors, "Activate although the probe fails") : ""}
      <div class="actions">${submit("Save")}</div>
    </form>
  </section>`;
}

function rotateForm(p: StoragePage) {
  const e = p.rotateErrors.fields;
  return html`<section class="card" aria-labelledby="rotate-title">
    <h2 id="rotate-title">Rotate credentials</h2>
    <p>New credentials for the same bucket are probed first; if the probe fails, the old ones stay in place.</p>
    <form method="post" action="${p.base}/rotate" class="form" novalidate>
      ${p.csrf}
      ${formError(p.rotateErrors.general)}
      ${input({ name: "access_key_id", id: "rotate-access-key-id", label: "New access key id", value: p.view?.target.access_key_id, required: true, error: e.access_key_id, autocomplete: "off" })}
      ${input({ name: "secret_access_key", id: "rotate-secret", label: "New secret access key", type: "password", required: true, error: e.secret_access_key, autocomplete: "new-password" })}
      ${input({ name: "session_token", id: "rotate-session-token", label: "New session token (optional)", type: "password", error: e.session_token, autocomplete: "new-password" })}
      ${p.isAdmin ? overrideFields("rotate", p.rotateErrors, "Keep the new credentials although their probe fails") : ""}
      <div class="actions">${submit("Rotate credentials")}</div>
    </form>
  </section>`;
}

function actions(p: StoragePage) {
  return html`<section class="card actions" aria-label="Actions">
    <form method="post" action="${p.base}/validate" class="inline">${p.csrf}${submit("Validate connection")}</form>
    ${p.view?.enabled
      ? html`<form method="post" action="${p.base}/disable" class="inline">${p.csrf}${submit("Disable customer storage", { kind: "danger", confirm: "Disable customer storage? New objects go to hosted storage again; existing objects stay in the bucket." })}</form>`
      : ""}
  </section>`;
}

function policySection(p: StoragePage) {
  const bucket = p.values.bucket || "your-bucket";
  return html`<section class="card" aria-labelledby="policy-title">
    <h2 id="policy-title">Required permissions</h2>
    <p class="notice-warn">The credentials need these permissions on the bucket, limited to the path prefix. A missing one makes validation fail with <code>missing_permission</code>, and new writes fail with it.</p>
    <ul>${PERMISSION_WARNINGS.map((w) => html`<li>${w}</li>`)}</ul>
    <h3 id="policy-json-title">Example IAM policy for ${bucket}${p.values.path_prefix ? ` / ${p.values.path_prefix}` : ""}</h3>
    <pre id="iam-policy" tabindex="0" aria-labelledby="policy-json-title"><code>${examplePolicy(bucket, p.values.path_prefix || null)}</code></pre>
    <button type="button" class="btn btn-plain" data-copy="iam-policy">Copy policy</button>
  </section>`;
}

export function storagePageBody(p: StoragePage) {
  const readOnly = html`<p class="hint">Your role may view this configuration but not change it: an admin, or a compliance officer scoped to this customer, manages it.</p>`;
  return html`${p.notice ?? ""}
    ${statusPanel(p.view, p.notice === undefined)}
    ${p.canManage ? (p.view ? actions(p) : "") : readOnly}
    ${p.canManage ? configForm(p) : ""}
    ${p.canManage && p.view ? rotateForm(p) : ""}
    ${policySection(p)}`;
}
