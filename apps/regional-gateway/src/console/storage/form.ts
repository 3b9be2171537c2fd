import { html } from "hono/html";
import type { StorageView } from "./status.ts";

/** The form's non-secret values: what a failed save renders back (a secret is never rendered back). */
export interface StorageFormValues {
  provider_label: string; bucket: string; region: string; country: string; endpoint: string;
  access_key_id: string; path_prefix: string; mode: "hosted" | "customer"; allow_hosted_fallback: boolean;
  bucket_sse: "" | "AES256" | "aws:kms"; gateway_encryption: boolean;
}

export type FieldErrors = Record<string, string>;

export const EMPTY_FORM: StorageFormValues = {
  provider_label: "S3-compatible", bucket: "", region: "", country: "", endpoint: "", access_key_id: "", path_prefix: "",
  mode: "hosted", allow_hosted_fallback: false, bucket_sse: "", gateway_encryption: true,
};

export function formFromView(v: StorageView & { target: { bucket_sse?: string | null; gateway_encryption?: boolean } }): StorageFormValues {
  const t = v.target;
  return {
    provider_label: t.provider_label, bucket: t.bucket, region: t.region, country: t.country, endpoint: t.endpoint ?? "",
    access_key_id: t.access_key_id, path_prefix: t.path_prefix ?? "", mode: v.enabled ? "customer" : "hosted",
    allow_hosted_fallback: v.allow_hosted_fallback, bucket_sse: (t.bucket_sse ?? "") as StorageFormValues["bucket_sse"],
    gateway_encryption: t.gateway_encryption ?? true,
  };
}

type Form = Record<string, string | File | (string | File)[]>;
const text = (f: Form, name: string): string => (typeof f[name] === "string" ? (f[name] as string).trim() : "");
/** Secrets are taken as typed: surrounding spaces may be part of them. */
const secret = (f: Form, name: string): string => (typeof f[name] === "string" ? (f[name] as string) : "");

export function formValues(f: Form): StorageFormValues {
  const sse = text(f, "bucket_sse");
  return {
    provider_label: text(f, "provider_label"), bucket: text(f, "bucket"), region: text(f, "region"), country: text(f, "country"),
    endpoint: text(f, "endpoint"), access_key_id: text(f, "access_key_id"), path_prefix: text(f, "path_prefix"),
    mode: text(f, "mode") === "customer" ? "customer" : "hosted", allow_hosted_fallback: f.allow_hosted_fallback === "on",
    bucket_sse: sse === "AES256" || sse === "aws:kms" ? sse : "", gateway_encryption: f.gateway_encryption === "on",
  };
}

/** The PUT /api/customers/:id/storage body; empty optional fields are left out for the API to judge. */
export function putBody(f: Form): Record<string, unknown> {
  const v = formValues(f);
  const token = secret(f, "session_token");
  const override = f.override_validation === "on";
  return {
    provider_label: v.provider_label, bucket: v.bucket, region: v.region,
    ...(v.country ? { country: v.country } : {}), ...(v.endpoint ? { endpoint: v.endpoint } : {}),
    access_key_id: v.access_key_id, secret_access_key: secret(f, "secret_access_key"), ...(token ? { session_token: token } : {}),
    ...(v.path_prefix ? { path_prefix: v.path_prefix } : {}),
    allow_hosted_fallback: v.allow_hosted_fallback, bucket_sse: v.bucket_sse || null, gateway_encryption: v.gateway_encryption,
    activate: v.mode === "customer",
    ...(override ? { override_validation: true, override_reason: text(f, "override_reason") } : {}),
  };
}

export function rotateBody(f: Form): Record<string, unknown> {
  const token = secret(f, "session_token");
  const override = f.override_validation === "on";
  return {
    access_key_id: text(f, "access_key_id"), secret_access_key: secret(f, "secret_access_key"), ...(token ? { session_token: token } : {}),
    ...(override ? { override_validation: true, override_reason: text(f, "override_reason") } : {}),
  };
}

export function field(name: string, label: string, errors: FieldErrors, input: unknown, help?: string) {
  const err = errors[name];
  return html`<div class="field${err ? " field-invalid" : ""}">
    <label for="${name}">${label}</label>
    ${help ? html`<p class="help" id="${name}-help">${help}</p>` : ""}
    ${input}
    ${err ? html`<p class="field-error" id="${name}-error" role="alert">${err}</p>` : ""}
  </div>`;
}

export function textInput(name: string, value: string, errors: FieldErrors, opts: { required?: boolean; type?: string; placeholder?: string } = {}) {
  const described = [errors[name] ? `${name}-error` : "", `${name}-help`].filter(Boolean).join(" ");
  return html`<input id="${name}" name="${name}" type="${opts.type ?? "text"}" value="${value}" ${opts.required ? "required" : ""}
    ${opts.placeholder ? html`placeholder="${opts.placeholder}"` : ""} aria-describedby="${described}" ${errors[name] ? html`aria-invalid="true"` : ""} autocomplete="off">`;
}

/** A secret field: never pre-filled, never remembered by the browser. */
export function secretInput(name: string, errors: FieldErrors, required: boolean) {
  return html`<input id="${name}" name="${name}" type="password" value="" ${required ? "required" : ""} autocomplete="new-password" spellcheck="false"
    aria-describedby="${name}-help${errors[name] ? ` ${name}-error` : ""}" ${errors[name] ? html`aria-invalid="true"` : ""}>`;
}

/** Override with a reason: shown to admins only (the API refuses anyone else). */
export function overrideFields(errors: FieldErrors, what: string) {
  return html`<fieldset class="override">
    <legend>Admin override</legend>
    <div class="field"><label class="check"><input type="checkbox" name="override_validation"> ${what}</label></div>
    ${field("override_reason", "Reason for the override (recorded in the audit log)", errors, textInput("override_reason", "", errors))}
  </fieldset>`;
}
