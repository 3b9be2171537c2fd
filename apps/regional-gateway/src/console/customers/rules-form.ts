import { html } from "hono/html";
import type { FormErrors } from "../layout/api-errors.ts";
import { checkbox, formError, formText, input, select, submit, textarea } from "../layout/forms.ts";

/** GET /api/customers/:id/rules' `rules`. */
export interface RulesView {
  allowed_content_types: string[] | null; max_object_size_bytes: number | null; reject_duplicate_content: boolean;
  block_cross_border_access: boolean; unknown_source_country: "deny" | "allow"; anomaly_threshold_per_hour: number; public_read_buckets: string[];
}
/** The form as typed, so a refused save shows exactly what was entered next to its error. */
export interface RulesValues {
  allowed_content_types: string; max_object_size_bytes: string; reject_duplicate_content: boolean; block_cross_border_access: boolean;
  unknown_source_country: string; anomaly_threshold_per_hour: string; public_read_buckets: string;
}
export const RULE_FIELDS = [
  "allowed_content_types", "max_object_size_bytes", "reject_duplicate_content", "block_cross_border_access",
  "unknown_source_country", "anomaly_threshold_per_hour", "public_read_buckets",
] as const;

const list = (s: string) => s.split(/[\s,]+/).filter(Boolean);
/** A number when it is one; otherwise the text itself, so the API names the field it refuses. */
const numberOr = (s: string): number | string => (/^-?\d+$/.test(s) ? Number(s) : s);

export function valuesFromRules(r: RulesView): RulesValues {
  return {
    allowed_content_types: (r.allowed_content_types ?? []).join("\n"),
    max_object_size_bytes: r.max_object_size_bytes === null ? "" : String(r.max_object_size_bytes),
    reject_duplicate_content: r.reject_duplicate_content,
    block_cross_border_access: r.block_cross_border_access,
    unknown_source_country: r.unknown_source_country,
    anomaly_threshold_per_hour: String(r.anomaly_threshold_per_hour),
    public_read_buckets: r.public_read_buckets.join("\n"),
  };
}

export function valuesFromForm(f: Record<string, unknown>): RulesValues {
  return {
    allowed_content_types: formText(f, "allowed_content_types"), max_object_size_bytes: formText(f, "max_object_size_bytes"),
    reject_duplicate_content: f.reject_duplicate_content === "on", block_cross_border_access: f.block_cross_border_access === "on",
    unknown_source_country: formText(f, "unknown_source_country"), anomaly_threshold_per_hour: formText(f, "anomaly_threshold_per_hour"),
    public_read_buckets: formText(f, "public_read_buckets"),
  };
}

/** The PUT body (the whole rule set): empty content types or size mean "no limit" (null). */
export function rulesBody(v: RulesValues): Record<string, unknown> {
  const types = list(v.allowed_content_types);
  return {
    allowed_content_types: types.length > 0 ? types : null,
    max_object_size_bytes: v.max_object_size_bytes === "" ? null : numberOr(v.max_object_size_bytes),
    reject_duplicate_content: v.reject_duplicate_content,
    block_cross_border_access: v.block_cross_border_access,
    unknown_source_country: v.unknown_source_country || "deny",
    anomaly_threshold_per_hour: numberOr(v.anomaly_threshold_per_hour),
    public_read_buckets: list(v.public_read_buckets),
  };
}

export function rulesForm(action: string, csrf: unknown, v: RulesValues, errors: FormErrors) {
  const e = errors.fields;
  return html`<form method="post" action="${action}" class="form" novalidate>
    ${csrf}
    ${formError(errors.general)}
    ${textarea({ name: "allowed_content_types", label: "Allowed content types", value: v.allowed_content_types, rows: 4, error: e.allowed_content_types, hint: "One per line, as type/subtype or type/*. Empty allows every type." })}
    ${input({ name: "max_object_size_bytes", label: "Maximum object size (bytes)", value: v.max_object_size_bytes, error: e.max_object_size_bytes, hint: "Empty for no limit; at most 5 GiB (5368709120).", attrs: html`inputmode="numeric"` })}
    ${input({ name: "anomaly_threshold_per_hour", label: "Unusual-activity threshold (operations per hour)", value: v.anomaly_threshold_per_hour, required: true, error: e.anomaly_threshold_per_hour, hint: "An alert is raised when the customer makes more calls than this in an hour.", attrs: html`inputmode="numeric"` })}
    <fieldset><legend>Content and access</legend>
      ${checkbox({ name: "reject_duplicate_content", label: "Reject duplicate content (the same bytes twice in a bucket)", checked: v.reject_duplicate_content, error: e.reject_duplicate_content })}
      ${checkbox({ name: "block_cross_border_access", label: "Block cross-border access", checked: v.block_cross_border_access, error: e.block_cross_border_access })}
      ${select({ name: "unknown_source_country", label: "Requests from an unknown country", value: v.unknown_source_country || "deny", error: e.unknown_source_country, options: [{ value: "deny", label: "deny" }, { value: "allow", label: "allow" }], hint: "With the cross-border block on: what a request gets when no trusted edge reported its country." })}
    </fieldset>
    ${textarea({ name: "public_read_buckets", label: "Public-read buckets", value: v.public_read_buckets, rows: 2, error: e.public_read_buckets, hint: "One per line. Anyone may read these buckets' objects without credentials; a name is unique across customers." })}
    <div class="actions">${submit("Save rules")}</div>
  </form>`;
}

/** The rules as read-only facts, for a role that may not change them. */
export function rulesFacts(r: RulesView) {
  return html`<dl class="facts">
    <dt>Allowed content types</dt><dd>${r.allowed_content_types ? r.allowed_content_types.join(", ") : "every type"}</dd>
    <dt>Maximum object size</dt><dd>${r.max_object_size_bytes === null ? "no limit" : `${r.max_object_size_bytes} bytes`}</dd>
    <dt>Unusual-activity threshold</dt><dd>${r.anomaly_threshold_per_hour} operations per hour</dd>
    <dt>Reject duplicate content</dt><dd>${r.reject_duplicate_content ? "yes" : "no"}</dd>
    <dt>Block cross-border access</dt><dd>${r.block_cross_border_access ? `yes (unknown country: ${r.unknown_source_country})` : "no"}</dd>
    <dt>Public-read buckets</dt><dd>${r.public_read_buckets.length > 0 ? r.public_read_buckets.join(", ") : "none"}</dd>
  </dl>
  <p class="hint">Your role may read these rules; an admin or a compliance officer changes them.</p>`;
}
