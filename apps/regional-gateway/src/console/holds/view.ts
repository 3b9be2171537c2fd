import { html } from "hono/html";
import { formError, submit, input as textInput } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table, type TableOptions } from "../layout/table.ts";
import { badge, day } from "../compliance/bits.ts";

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

export interface HoldsViewInput {
  items: HoldItem[];
  filters: { customer_id: string; bucket: string };
  /** A filter the API refused (e.g. a bucket without a customer), by field. */
  filterErrors: Record<string, string>;
  paging: Pick<TableOptions<unknown>, "next" | "first">;
  canAct: boolean;
  scopedCustomer: string | null;
  csrf: Html;
  /** The place form as sent, with its errors by field ("" for the rest), after a refusal. */
  place?: { values: Record<string, string>; errors: Record<string, string> };
  /** A refused lift, shown next to that object's reason field. */
  lift?: { objectId: string; reason: string; message: string };
}

function placeForm(input: HoldsViewInput) {
  const v = input.place?.values ?? {};
  const e = input.place?.errors ?? {};
  const field = (name: string, label: string, hint?: string, required = true) =>
    textInput({ name, id: `hold-${name}`, label, value: v[name], required, hint, error: e[name] });
  return html`<section aria-labelledby="hold-new-h" class="card"><h2 id="hold-new-h">Place a legal hold</h2>
    <form method="post" action="/console/holds/place">
      ${input.csrf}
      ${input.scopedCustomer
        ? html`<input type="hidden" name="customer_id" value="${input.scopedCustomer}"><p>Customer: <strong>${input.scopedCustomer}</strong></p>`
        : field("customer_id", "Customer")}
      ${field("bucket", "Bucket")}
      ${field("key", "Object key", "Without a version id the key's current version is held: it cannot be deleted or overwritten away until the hold is lifted.")}
      ${field("version_id", "Version id (optional)", "To hold one version of a versioned key, a noncurrent one too; each version's hold is its own.", false)}
      ${field("reason", "Reason", "For example the case or matter number; kept with the hold and in the audit log.")}
      ${formError(e[""])}
      ${submit("Place hold")}
    </form></section>`;
}

function liftForm(h: HoldItem, input: HoldsViewInput) {
  const err = input.lift?.objectId === h.object_id ? input.lift : undefined;
  return html`<form method="post" action="/console/holds/lift">
    ${input.csrf}
    <input type="hidden" name="customer_id" value="${h.customer_id}">
    <input type="hidden" name="bucket" value="${h.bucket}">
    <input type="hidden" name="key" value="${h.key}">
    <input type="hidden" name="version_id" value="${h.version_id}">
    <input type="hidden" name="object_id" value="${h.object_id}">
    ${textInput({ name: "reason", id: `lift-${h.object_id}`, label: `Reason for lifting the hold on ${h.key}`, value: err?.reason, required: true, error: err?.message })}
    ${submit("Lift hold", { kind: "plain" })}
  </form>`;
}

const holdCell = (h: HoldItem) =>
  h.legal_hold
    ? html`${badge("held", "warn")} ${h.reason}<br><span class="muted">by ${h.set_by ?? "unknown"}${h.set_at ? html`, ${day(h.set_at)}` : ""}</span>`
    : html`<span class="muted">no hold</span>`;

const retentionCell = (h: HoldItem) =>
  h.retention_until ? html`${badge(h.retention_mode ?? "retained", "neutral")} until ${day(h.retention_until)}` : html`<span class="muted">none</span>`;

/** Objects under a legal hold or unexpired retention; officers place and lift holds here. */
export function holdsView(input: HoldsViewInput): Html {
  const f = input.filters;
  const e = input.filterErrors;
  const filtered = Boolean(f.customer_id || f.bucket);
  return html`${input.canAct ? placeForm(input) : ""}
  <h2>Held and retained objects</h2>
  <form method="get" action="/console/holds" class="filters">
    ${input.scopedCustomer ? "" : textInput({ name: "customer_id", label: "Customer", value: f.customer_id, placeholder: "all customers", error: e.customer_id })}
    ${textInput({ name: "bucket", label: "Bucket", value: f.bucket, placeholder: "all buckets", error: e.bucket })}
    <div class="field">${submit("Filter", { kind: "plain" })}</div>
  </form>
  ${formError(e[""])}
  ${table<HoldItem>({
    caption: "Object versions under a legal hold or retention",
    rows: input.items,
    empty: filtered
      ? "Nothing held or retained matches these filters. Clear them to see every held object."
      : `No object is under a legal hold or retention.${input.canAct ? " Place a hold with the form above." : ""}`,
    ...input.paging,
    columns: [
      { label: "Customer", cell: (h) => h.customer_id },
      { label: "Object", cell: (h) => html`<code>${h.bucket}/${h.key}</code><br><span class="muted">version ${h.version_id}</span>` },
      { label: "Legal hold", cell: holdCell },
      { label: "Retention", cell: retentionCell },
      ...(input.canAct ? [{ label: "Lift", cell: (h: HoldItem) => (h.legal_hold ? liftForm(h, input) : "") }] : []),
    ],
  })}`;
}
