import { formText } from "../layout/forms.ts";
import type { StorageView } from "./status.ts";

/** The form's non-secret values: what a failed save renders back (a secret is never rendered back). */
export interface StorageFormValues {
  provider_label: string; bucket: string; region: string; country: string; endpoint: string;
  access_key_id: string; path_prefix: string; mode: "hosted" | "customer"; allow_hosted_fallback: boolean;
  bucket_sse: "" | "AES256" | "aws:kms"; gateway_encryption: boolean;
}

export const SAVE_FIELDS = [
  "provider_label", "bucket", "region", "country", "endpoint", "access_key_id", "secret_access_key", "session_token",
  "path_prefix", "allow_hosted_fallback", "bucket_sse", "gateway_encryption", "override_reason",
] as const;
export const ROTATE_FIELDS = ["access_key_id", "secret_access_key", "session_token", "override_reason"] as const;

export const EMPTY_FORM: StorageFormValues = {
  provider_label: "S3-compatible", bucket: "", region: "", country: "", endpoint: "", access_key_id: "", path_prefix: "",
  mode: "hosted", allow_hosted_fallback: false, bucket_sse: "", gateway_encryption: true,
};

export function formFromView(v: StorageView): StorageFormValues {
  const t = v.target;
  return {
    provider_label: t.provider_label, bucket: t.bucket, region: t.region, country: t.country, endpoint: t.endpoint ?? "",
    access_key_id: t.access_key_id, path_prefix: t.path_prefix ?? "", mode: v.enabled ? "customer" : "hosted",
    allow_hosted_fallback: v.allow_hosted_fallback, bucket_sse: t.bucket_sse ?? "", gateway_encryption: t.gateway_encryption,
  };
}

type Form = Record<string, unknown>;
/** Secrets are taken as typed: surrounding spaces may be part of them. */
const secret = (f: Form, name: string): string => (typeof f[name] === "string" ? (f[name] as string) : "");

export function formValues(f: Form): StorageFormValues {
  const sse = formText(f, "bucket_sse");
  return {
    provider_label: formText(f, "provider_label"), bucket: formText(f, "bucket"), region: formText(f, "region"), country: formText(f, "country"),
    endpoint: formText(f, "endpoint"), access_key_id: formText(f, "access_key_id"), path_prefix: formText(f, "path_prefix"),
    mode: formText(f, "mode") === "customer" ? "customer" : "hosted", allow_hosted_fallback: f.allow_hosted_fallback === "on",
    bucket_sse: sse === "AES256" || sse === "aws:kms" ? sse : "", gateway_encryption: f.gateway_encryption === "on",
  };
}

/** An admin's override, which the console accepts only with a reason (recorded in the audit row). */
function override(f: Form): Record<string, unknown> {
  return f.override_validation === "on" ? { override_validation: true, override_reason: formText(f, "override_reason") } : {};
}

/** The override's reason is missing: the console asks for it before the API is called. */
export const reasonMissing = (f: Form): boolean => f.override_validation === "on" && formText(f, "override_reason") === "";

/** The PUT /api/customers/:id/storage body; empty optional fields are left out for the API to judge. */
export function putBody(f: Form): Record<string, unknown> {
  const v = formValues(f);
  const token = secret(f, "session_token");
  return {
    provider_label: v.provider_label, bucket: v.bucket, region: v.region,
    ...(v.country ? { country: v.country } : {}), ...(v.endpoint ? { endpoint: v.endpoint } : {}),
    access_key_id: v.access_key_id, secret_access_key: secret(f, "secret_access_key"), ...(token ? { session_token: token } : {}),
    ...(v.path_prefix ? { path_prefix: v.path_prefix } : {}),
    allow_hosted_fallback: v.allow_hosted_fallback, bucket_sse: v.bucket_sse || null, gateway_encryption: v.gateway_encryption,
    activate: v.mode === "customer",
    ...override(f),
  };
}

export function rotateBody(f: Form): Record<string, unknown> {
  const token = secret(f, "session_token");
  return { access_key_id: formText(f, "access_key_id"), secret_access_key: secret(f, "secret_access_key"), ...(token ? { session_token: token } : {}), ...override(f) };
}
