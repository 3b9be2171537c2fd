import { html } from "hono/html";
import type { Html } from "./page.ts";

interface FieldBase {
  name: string;
  label: string;
  /** Shown next to the field with aria-invalid and aria-describedby pointing at it. */
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
  /** Defaults to `f-<name>`; give one when a page shows two forms with the same field. */
  id?: string;
}

export interface InputField extends FieldBase {
  type?: "text" | "email" | "password" | "number" | "date" | "datetime-local" | "search" | "url";
  value?: string | number | undefined;
  placeholder?: string;
  autocomplete?: string;
  /** Extra attributes, as an html`` fragment (e.g. html`maxlength="63"`). */
  attrs?: Html;
}

export interface SelectField extends FieldBase {
  options: readonly { value: string; label: string }[];
  value?: string | undefined;
}

export interface TextareaField extends FieldBase {
  value?: string | undefined;
  rows?: number;
}

const idOf = (f: FieldBase) => f.id ?? `f-${f.name.replace(/[^A-Za-z0-9_-]/g, "-")}`;

/** The label, the hint and the error of a field, and the aria wiring that ties them to it. */
function wrap(f: FieldBase, control: (aria: Html) => Html): Html {
  const id = idOf(f);
  const described = [f.hint ? `${id}-hint` : "", f.error ? `${id}-error` : ""].filter(Boolean).join(" ");
  const aria = html`id="${id}" name="${f.name}"${f.required ? html` required` : ""}${f.error ? html` aria-invalid="true"` : ""}${described ? html` aria-describedby="${described}"` : ""}`;
  return html`<div class="field${f.error ? " has-error" : ""}">
<label for="${id}">${f.label}${f.required ? html` <span class="req" aria-hidden="true">*</span>` : ""}</label>
${control(aria)}
${f.hint ? html`<p class="hint" id="${id}-hint">${f.hint}</p>` : ""}
${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ""}
</div>`;
}

export function input(f: InputField): Html {
  return wrap(f, (aria) =>
    html`<input ${aria} type="${f.type ?? "text"}"${f.value !== undefined ? html` value="${String(f.value)}"` : ""}${f.placeholder ? html` placeholder="${f.placeholder}"` : ""}${f.autocomplete ? html` autocomplete="${f.autocomplete}"` : ""}${f.attrs ? html` ${f.attrs}` : ""}>`,
  );
}

export function select(f: SelectField): Html {
  return wrap(f, (aria) =>
    html`<select ${aria}>${f.options.map((o) => html`<option value="${o.value}"${o.value === f.value ? html` selected` : ""}>${o.label}</option>`)}</select>`,
  );
}

export function textarea(f: TextareaField): Html {
  return wrap(f, (aria) => html`<textarea ${aria} rows="${String(f.rows ?? 4)}">${f.value ?? ""}</textarea>`);
}

export function checkbox(f: FieldBase & { checked?: boolean; value?: string }): Html {
  const id = idOf(f);
  return html`<div class="field check${f.error ? " has-error" : ""}">
<input type="checkbox" id="${id}" name="${f.name}" value="${f.value ?? "on"}"${f.checked ? html` checked` : ""}${f.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}>
<label for="${id}">${f.label}</label>
${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ""}
</div>`;
}

/** The error of a form as a whole (what belongs to no field), announced to screen readers. */
export function formError(message: string | undefined): Html | string {
  return message ? html`<div class="form-error" role="alert">${message}</div>` : "";
}

/**
 * A submit button; `confirm` asks before submitting (console.js, progressive: without
 * script the form submits directly).
 */
export function submit(label: string, opts: { confirm?: string; kind?: "primary" | "danger" | "plain" } = {}): Html {
  return html`<button type="submit" class="btn btn-${opts.kind ?? "primary"}"${opts.confirm ? html` data-confirm="${opts.confirm}"` : ""}>${label}</button>`;
}

/** A form field's submitted text (multipart or urlencoded), trimmed; "" when absent. */
export function formText(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === "string" ? v.trim() : "";
}
