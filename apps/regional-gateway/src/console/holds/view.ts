import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export interface HoldItem {
  object_id: string;
  customer_id: string;
  bucket: string;
  key: string;
  version_id: string;
  size_bytes: number;
  legal_hold: boolean;
  reason: string | null;
  set_by: string | null;
  set_at: string | null;
  retention_mode: string | null;
  retention_until: string | null;
}

type Csrf = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface HoldsViewInput {
  items: HoldItem[];
  filters: { customer_id?: string; bucket?: string };
  nextHref: string | null;
  canAct: boolean;
  scopedCustomer: string | null;
  csrf: Csrf;
  /** The place form as sent, with its errors by field, after a refusal. */
  place?: { values: Record<string, string>; errors: Record<string, string> };
  /** A refused lift, shown next to that object's reason field. */
  lift?: { objectId: string; reason: string; message: string };
  /** A filter the API refused (e.g. a bucket without a customer). */
  filterError?: string;
}

function placeForm(input: HoldsViewInput) {
  const v = input.place?.values ?? {};
  const errs = input.place?.errors ?? {};
  const field = (name: string, label: string, extra = "") => html`<label for="hp-${name}">${label}</label>
    <input id="hp-${name}" name="${name}" value="${v[name] ?? ""}" required${extra}${errs[name] ? html` aria-invalid="true" aria-describedby="hp-${name}-error"` : ""}>
    ${errs[name] ? html`<p class="field-error" id="hp-${name}-error">${errs[name]}</p>` : ""}`;
  return html`<section aria-labelledby="hold-new-h"><h2 id="hold-new-h">Place a legal hold</h2>
    <form method="post" action="/console/holds/place" class="stack-form">
      ${input.csrf}
      ${input.scopedCustomer
        ? html`<input type="hidden" name="customer_id" value="${input.scopedCustomer}"><p>Customer: <strong>${input.scopedCustomer}</strong></p>`
        : field("customer_id", "Customer")}
      ${field("bucket", "Bucket")}
      ${field("key", "Object key (its current version is held)")}
      ${field("reason", "Reason (e.g. the case number)", ' maxlength="500"')}
      ${errs[""] ? html`<p class="field-error" role="alert">${errs[""]}</p>` : ""}
      <button type="submit">Place hold</button>
    </form></section>`;
}

function liftForm(h: HoldItem, input: HoldsViewInput) {
  const err = input.lift?.objectId === h.object_id ? input.lift : undefined;
  const id = `lift-${h.object_id}`;
  return html`<form method="post" action="/console/holds/lift" class="inline-form">
    ${input.csrf}
    <input type="hidden" name="customer_id" value="${h.customer_id}">
    <input type="hidden" name="bucket" value="${h.bucket}">
    <input type="hidden" name="key" value="${h.key}">
    <input type="hidden" name="object_id" value="${h.object_id}">
    <label for="${id}">Reason for lifting</label>
    <input id="${id}" name="reason" value="${err?.reason ?? ""}" required maxlength="500"${err ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}>
    ${err ? html`<p class="field-error" id="${id}-error">${err.message}</p>` : ""}
    <button type="submit">Lift hold</button>
  </form>`;
}

function row(h: HoldItem, input: HoldsViewInput) {
  return html`<tr data-object-key="${h.key}">
    <td>${h.customer_id}</td>
    <td><code>${h.bucket}/${h.key}</code><br><span class="muted">version ${h.version_id}</span></td>
    <td>${h.legal_hold ? html`<span class="badge badge-warn">held</span> ${h.reason}<br><span class="muted">by ${h.set_by ?? "?"}${h.set_at ? html`, <time datetime="${h.set_at}">${h.set_at.slice(0, 10)}</time>` : ""}</span>` : html`<span class="muted">no hold</span>`}</td>
    <td>${h.retention_until ? html`${h.retention_mode} until <time datetime="${h.retention_until}">${h.retention_until.slice(0, 10)}</time>` : html`<span class="muted">none</span>`}</td>
    ${input.canAct ? html`<td>${h.legal_hold ? liftForm(h, input) : ""}</td>` : ""}
  </tr>`;
}

/** Objects under a legal hold or unexpired retention; officers place and lift holds here. */
export function holdsView(input: HoldsViewInput) {
  const f = input.filters;
  return html`${input.canAct ? placeForm(input) : ""}
  <section aria-labelledby="hold-list-h"><h2 id="hold-list-h">Held and retained objects</h2>
    <form method="get" action="/console/holds" class="filters">
      ${input.scopedCustomer ? "" : html`<label>Customer <input name="customer_id" value="${f.customer_id ?? ""}" placeholder="all customers"></label>`}
      <label>Bucket <input name="bucket" value="${f.bucket ?? ""}" placeholder="all buckets"></label>
      <button type="submit">Filter</button>
    </form>
    ${input.filterError ? html`<p class="field-error" role="alert">${input.filterError}</p>` : ""}
    ${input.items.length === 0
      ? html`<p class="empty">${f.customer_id || f.bucket ? "Nothing held or retained matches these filters. Clear them to see every held object." : `No object is under a legal hold or retention.${input.canAct ? " Place a hold with the form above." : ""}`}</p>`
      : html`<div class="table-wrap"><table>
        <caption>Held and retained object versions</caption>
        <thead><tr><th scope="col">Customer</th><th scope="col">Object</th><th scope="col">Legal hold</th><th scope="col">Retention</th>${input.canAct ? html`<th scope="col">Lift</th>` : ""}</tr></thead>
        <tbody>${input.items.map((h) => row(h, input))}</tbody>
      </table></div>`}
    ${input.nextHref ? html`<nav class="pager" aria-label="Hold pages"><a href="${input.nextHref}">Next page</a></nav>` : ""}
  </section>`;
}
