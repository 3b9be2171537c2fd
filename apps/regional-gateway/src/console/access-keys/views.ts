import { html } from "hono/html";
import type { FormErrors } from "../layout/api-errors.ts";
import { checkbox, formError, formText, input, select, submit, textarea } from "../layout/forms.ts";

export interface AccessKeyItem {
  access_key_id: string; description: string | null; permission: "read-only" | "read-write"; allowed_buckets: string[] | null;
  bypass_governance: boolean; status: "active" | "disabled"; created_by: string; created_at: string;
}
export interface CreateValues { description: string; permission: string; allowed_buckets: string; bypass_governance: boolean }
export const EMPTY_CREATE: CreateValues = { description: "", permission: "", allowed_buckets: "", bypass_governance: false };
export const CREATE_FIELDS = ["description", "permission", "allowed_buckets", "bypass_governance"] as const;

export function createValues(f: Record<string, unknown>): CreateValues {
  return { description: formText(f, "description"), permission: formText(f, "permission"), allowed_buckets: formText(f, "allowed_buckets"), bypass_governance: f.bypass_governance === "on" };
}

/** The POST body: buckets one per line or comma-separated; none means every bucket of the customer. */
export function createBody(v: CreateValues): Record<string, unknown> {
  const buckets = v.allowed_buckets.split(/[\s,]+/).filter(Boolean);
  return {
    ...(v.description ? { description: v.description } : {}),
    ...(v.permission ? { permission: v.permission } : {}),
    ...(buckets.length > 0 ? { allowed_buckets: buckets } : {}),
    ...(v.bypass_governance ? { bypass_governance: true } : {}),
  };
}

export function createForm(action: string, csrf: unknown, v: CreateValues, errors: FormErrors, isAdmin: boolean) {
  const e = errors.fields;
  const permissions = isAdmin
    ? [{ value: "read-write", label: "read-write" }, { value: "read-only", label: "read-only" }]
    : [{ value: "read-only", label: "read-only" }];
  return html`<section class="card" aria-labelledby="create-key-title">
    <h2 id="create-key-title">Create an access key</h2>
    <form method="post" action="${action}" class="form" novalidate>
      ${csrf}
      ${formError(errors.general)}
      ${input({ name: "description", label: "Description", value: v.description, error: e.description, placeholder: "e.g. nightly backup job", hint: "Who or what uses the key, so it can be found and disabled later." })}
      ${select({ name: "permission", label: "Permission", options: permissions, value: v.permission || permissions[0]!.value, error: e.permission, hint: isAdmin ? undefined : "Only admins create keys that can write." })}
      ${textarea({ name: "allowed_buckets", label: "Allowed buckets", value: v.allowed_buckets, rows: 3, error: e.allowed_buckets, hint: "One per line or separated by commas. Leave empty to allow every bucket of the customer." })}
      ${isAdmin ? checkbox({ name: "bypass_governance", label: "May bypass GOVERNANCE retention (read-write keys only; audited)", checked: v.bypass_governance, error: e.bypass_governance }) : ""}
      <div class="actions">${submit("Create access key")}</div>
    </form>
  </section>`;
}

/** The only page that ever shows the secret: the answer to the POST that created it. */
export function createdPanel(key: AccessKeyItem & { secret_access_key: string }, listHref: string) {
  return html`<section class="card secret-reveal" aria-labelledby="created-title">
    <h2 id="created-title">Access key created</h2>
    <p class="notice-warn" role="alert">Copy the secret now. It is shown only on this page, once: reloading or leaving the page loses it for good (create a new key if it is lost).</p>
    <dl class="facts">
      <dt>Access key id</dt><dd><code data-testid="new-key-id">${key.access_key_id}</code></dd>
      <dt>Secret access key</dt><dd><code id="new-secret" data-testid="new-secret">${key.secret_access_key}</code>
        <button type="button" class="btn btn-plain" data-copy="new-secret">Copy secret</button></dd>
      <dt>Permission</dt><dd>${key.permission}</dd>
      <dt>Allowed buckets</dt><dd>${key.allowed_buckets ? key.allowed_buckets.join(", ") : "every bucket"}</dd>
    </dl>
    <p><a href="${listHref}">Back to the access keys</a></p>
  </section>`;
}

export function keyActions(base: string, key: AccessKeyItem, csrf: unknown) {
  const disabling = key.status === "active";
  return html`<div class="row-actions"><form method="post" action="${base}/${key.access_key_id}/status" class="inline">${csrf}
      <input type="hidden" name="status" value="${disabling ? "disabled" : "active"}">
      ${disabling
        ? submit("Disable", { kind: "plain", confirm: `Disable ${key.access_key_id}? Requests signed with it are refused until it is enabled again.` })
        : submit("Enable", { kind: "plain" })}
    </form>
    <a class="btn btn-danger" href="${base}/${key.access_key_id}/delete">Delete…</a></div>`;
}

export function deleteConfirm(base: string, akid: string, csrf: unknown) {
  return html`<section class="card" aria-labelledby="delete-title">
    <h2 id="delete-title">Delete access key ${akid}?</h2>
    <p>Requests signed with this key are refused at once, in this region and at the global endpoint. This cannot be undone; a disabled key can be enabled again instead.</p>
    <form method="post" action="${base}/${akid}/delete" class="inline">${csrf}${submit(`Delete ${akid}`, { kind: "danger" })}</form>
    <a href="${base}">Cancel</a>
  </section>`;
}
