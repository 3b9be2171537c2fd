import { html } from "hono/html";
import { examplePolicy, PERMISSION_WARNINGS } from "./iam-policy.ts";
import { field, type FieldErrors, overrideFields, secretInput, type StorageFormValues, textInput } from "./form.ts";
import { statusPanel, type StorageView } from "./status.ts";

export interface StoragePage {
  customerId: string;
  base: string;
  view: StorageView | null;
  values: StorageFormValues;
  errors: FieldErrors;
  /** Which form the errors belong to. */
  errorsFor?: "save" | "rotate";
  canManage: boolean;
  isAdmin: boolean;
  csrf: unknown;
  /** Rendered above everything: a probe result, a failure with its hint, or a flash message. */
  notice?: unknown;
}

function configForm(p: StoragePage) {
  const v = p.values;
  const e = p.errorsFor === "save" ? p.errors : {};
  return html`<form method="post" action="${p.base}/save" class="form" novalidate>
    ${p.csrf}
    <h2 id="config-title">Bucket configuration</h2>
    ${field("provider_label", "Provider label", e, textInput("provider_label", v.provider_label, e, { required: true }), "A name for the provider. \"aws\" means Amazon S3: the endpoint may then be left empty and the country follows from the region.")}
    ${field("bucket", "Bucket name", e, textInput("bucket", v.bucket, e, { required: true }))}
    ${field("region", "Region", e, textInput("region", v.region, e, { required: true, placeholder: "eu-north-1" }), "The bucket's region as the provider names it.")}
    ${field("endpoint", "Endpoint URL", e, textInput("endpoint", v.endpoint, e, { type: "url", placeholder: "https://s3.example.com" }), "Optional for AWS; required for MinIO, R2 and other S3-compatible services.")}
    ${field("country", "Country of the bucket", e, textInput("country", v.country, e, { placeholder: "FI" }), "Required outside AWS (only an admin may declare it). It must satisfy the customer's residency requirement.")}
    ${field("access_key_id", "Access key id", e, textInput("access_key_id", v.access_key_id, e, { required: true }))}
    ${field("secret_access_key", "Secret access key", e, secretInput("secret_access_key", e, true), p.view ? "Enter the secret again to save: it is stored encrypted and never shown again (the status shows its fingerprint)." : "Stored encrypted; never shown again after saving (the status shows its fingerprint).")}
    ${field("session_token", "Session token (optional)", e, secretInput("session_token", e, false), "Only for temporary credentials.")}
    ${field("path_prefix", "Path prefix (optional)", e, textInput("path_prefix", v.path_prefix, e, { placeholder: "gateway/fi" }), "Objects are stored under <prefix>/tenant-" + p.customerId + "/.")}
    <fieldset>
      <legend>Retention mode</legend>
      <div class="field"><label class="check"><input type="radio" name="mode" value="hosted" ${v.mode === "hosted" ? "checked" : ""}> Hosted storage (default): new objects stay in this region's hosted storage; the bucket is saved but not used</label></div>
      <div class="field"><label class="check"><input type="radio" name="mode" value="customer" ${v.mode === "customer" ? "checked" : ""}> Customer-managed storage only: new objects go to this bucket (needs a passing probe)</label></div>
      <div class="field"><label class="check"><input type="checkbox" name="allow_hosted_fallback" ${v.allow_hosted_fallback ? "checked" : ""}> Allow hosted fallback: while the bucket is unhealthy, store new objects in hosted storage instead of refusing them</label></div>
    </fieldset>
    <fieldset>
      <legend>Encryption</legend>
      ${field("bucket_sse", "Bucket-side encryption", e, html`<select id="bucket_sse" name="bucket_sse">
        <option value="" ${v.bucket_sse === "" ? "selected" : ""}>none requested</option>
        <option value="AES256" ${v.bucket_sse === "AES256" ? "selected" : ""}>SSE-S3 (AES256)</option>
        <option value="aws:kms" ${v.bucket_sse === "aws:kms" ? "selected" : ""}>SSE-KMS (the bucket's default key)</option></select>`)}
      ${field("gateway_encryption", "Gateway encryption", e, html`<label class="check"><input id="gateway_encryption" type="checkbox" name="gateway_encryption" ${v.gateway_encryption ? "checked" : ""}> The gateway encrypts objects before they reach the bucket (turn off only with bucket-side encryption)</label>`)}
    </fieldset>
    ${p.isAdmin ? overrideFields(e, "Activate although the probe fails") : ""}
    <div class="actions"><button type="submit">Save</button></div>
  </form>`;
}

function rotateForm(p: StoragePage) {
  const e = p.errorsFor === "rotate" ? p.errors : {};
  const id = (n: string) => `rotate_${n}`;
  const prefixed: FieldErrors = Object.fromEntries(Object.entries(e).map(([k, m]) => [id(k), m]));
  return html`<form method="post" action="${p.base}/rotate" class="form">
    ${p.csrf}
    <h2>Rotate credentials</h2>
    <p>New credentials for the same bucket are probed first; if the probe fails, the old ones stay in place.</p>
    ${field(id("access_key_id"), "New access key id", prefixed, html`<input id="${id("access_key_id")}" name="access_key_id" required autocomplete="off" value="${p.view?.target.access_key_id ?? ""}">`)}
    ${field(id("secret_access_key"), "New secret access key", prefixed, html`<input id="${id("secret_access_key")}" name="secret_access_key" type="password" required autocomplete="new-password">`)}
    ${field(id("session_token"), "New session token (optional)", prefixed, html`<input id="${id("session_token")}" name="session_token" type="password" autocomplete="new-password">`)}
    ${p.isAdmin ? overrideFields(e, "Keep the new credentials although their probe fails") : ""}
    <div class="actions"><button type="submit">Rotate credentials</button></div>
  </form>`;
}

function actions(p: StoragePage) {
  return html`<section class="panel" aria-label="Actions">
    ${p.view ? html`<form method="post" action="${p.base}/validate" class="inline">${p.csrf}<button type="submit">Validate connection</button></form>` : ""}
    ${p.view?.enabled
      ? html`<form method="post" action="${p.base}/disable" class="inline" data-confirm="Disable customer storage? New objects go to hosted storage again; existing objects stay in the bucket.">${p.csrf}<button type="submit" class="danger">Disable customer storage</button></form>`
      : ""}
  </section>`;
}

function policySection(p: StoragePage) {
  const bucket = p.values.bucket || "your-bucket";
  return html`<section class="panel" aria-labelledby="policy-title">
    <h2 id="policy-title">Required permissions</h2>
    <p class="callout callout-warn">The credentials need exactly these permissions on the bucket, limited to the path prefix. Missing ones make validation fail with <code>missing_permission</code>; new writes then fail too.</p>
    <ul>${PERMISSION_WARNINGS.map((w) => html`<li>${w}</li>`)}</ul>
    <h3 id="policy-json-title">Example IAM policy for ${bucket}${p.values.path_prefix ? ` / ${p.values.path_prefix}` : ""}</h3>
    <pre id="iam-policy" tabindex="0" aria-labelledby="policy-json-title"><code>${examplePolicy(bucket, p.values.path_prefix || null)}</code></pre>
    <button type="button" class="copy" data-copy-target="iam-policy" hidden>Copy policy</button>
  </section>`;
}

export function storagePageBody(p: StoragePage) {
  return html`${p.notice ?? ""}
    ${statusPanel(p.view)}
    ${p.canManage && p.view ? actions(p) : p.canManage ? "" : html`<p class="callout">Your role may view this configuration but not change it: an admin, or a compliance officer scoped to this customer, manages it.</p>`}
    ${p.canManage ? configForm(p) : ""}
    ${p.canManage && p.view ? rotateForm(p) : ""}
    ${policySection(p)}`;
}
