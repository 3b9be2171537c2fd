import { GDPR_REQUEST_TYPES, GDPR_STATUSES } from "@s3gw/core";
import { html } from "hono/html";
import { formError, select, submit, textarea, input as textInput } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table, type TableOptions } from "../layout/table.ts";
import { badge, day } from "../compliance/bits.ts";

export interface DsrItem {
  request_id: string;
  customer_id: string;
  data_subject_id: string;
  request_type: string;
  status: string;
  received_at: string;
  response_deadline: string;
  deadline_state: "ok" | "near" | "overdue" | null;
  affected_objects: unknown[];
  result: Record<string, unknown> | null;
  notes: string | null;
  requested_by: string;
  updated_at: string;
  completed_at: string | null;
}

export interface DsrListViewInput {
  items: DsrItem[];
  filters: { customer_id: string; status: string; overdue: string };
  filterErrors: Record<string, string>;
  paging: Pick<TableOptions<unknown>, "next" | "first">;
  canCreate: boolean;
  scopedCustomer: string | null;
  csrf: Html;
  /** The create form as it was sent, with its errors by field ("" for the rest), after a refusal. */
  create?: { values: Record<string, string>; errors: Record<string, string> };
}

/** The deadline state as words and a colour (never colour alone); closed requests have none. */
export function deadlineBadge(state: DsrItem["deadline_state"]) {
  if (state === "ok") return badge("on time", "ok");
  if (state === "near") return badge("deadline near", "warn");
  if (state === "overdue") return badge("overdue", "bad");
  return badge("closed", "neutral");
}

export const statusText = (s: string) => s.replace("_", " ");

function createForm(input: DsrListViewInput) {
  const v = input.create?.values ?? {};
  const e = input.create?.errors ?? {};
  return html`<section aria-labelledby="dsr-new-h" class="card">
    <h2 id="dsr-new-h">Record a new request</h2>
    <form method="post" action="/console/gdpr">
      ${input.csrf}
      ${input.scopedCustomer
        ? html`<input type="hidden" name="customer_id" value="${input.scopedCustomer}"><p>Customer: <strong>${input.scopedCustomer}</strong></p>`
        : textInput({ name: "customer_id", id: "dsr-customer_id", label: "Customer", value: v.customer_id, required: true, error: e.customer_id })}
      ${textInput({ name: "data_subject_id", label: "Data subject id", value: v.data_subject_id, required: true, hint: "As written in the subject's objects' x-amz-meta-data-subject-id metadata.", error: e.data_subject_id })}
      ${select({ name: "request_type", label: "Request type", value: v.request_type, error: e.request_type, options: GDPR_REQUEST_TYPES.map((t) => ({ value: t, label: t })) })}
      ${textarea({ name: "notes", label: "Notes", value: v.notes, rows: 2, hint: "Optional: how the request arrived, identity checks.", error: e.notes })}
      ${formError(e[""])}
      ${submit("Create request")}
    </form>
  </section>`;
}

function filters(input: DsrListViewInput) {
  const f = input.filters;
  const e = input.filterErrors;
  return html`<form method="get" action="/console/gdpr" class="filters">
    ${input.scopedCustomer ? "" : textInput({ name: "customer_id", label: "Customer", value: f.customer_id, placeholder: "all customers", error: e.customer_id })}
    ${select({ name: "status", label: "Status", value: f.status, error: e.status, options: [{ value: "", label: "any" }, ...GDPR_STATUSES.map((s) => ({ value: s, label: statusText(s) }))] })}
    ${select({ name: "overdue", label: "Deadline", value: f.overdue, error: e.overdue, options: [{ value: "", label: "any" }, { value: "true", label: "overdue only" }, { value: "false", label: "not overdue" }] })}
    <div class="field">${submit("Filter", { kind: "plain" })}</div>
  </form>`;
}

/** Data-subject requests: the create form (officers) and the list with each request's deadline state. */
export function dsrListView(input: DsrListViewInput): Html {
  const filtered = Boolean(input.filters.customer_id || input.filters.status || input.filters.overdue);
  const empty = filtered
    ? "No requests match these filters. Clear them to see every request."
    : input.canCreate ? "No data-subject requests yet. Record one with the form above when a subject writes in." : "No data-subject requests yet.";
  return html`${input.canCreate ? createForm(input) : ""}
  <h2>Requests</h2>
  ${filters(input)}
  ${table<DsrItem>({
    caption: "Data-subject requests, newest first",
    rows: input.items,
    empty,
    ...input.paging,
    columns: [
      { label: "Request", cell: (r) => html`<a href="/console/gdpr/${r.request_id}">${r.request_type} request</a>` },
      { label: "Customer", cell: (r) => r.customer_id },
      { label: "Data subject", cell: (r) => r.data_subject_id },
      { label: "Status", cell: (r) => statusText(r.status) },
      { label: "Received", cell: (r) => day(r.received_at) },
      { label: "Respond by", cell: (r) => day(r.response_deadline) },
      { label: "Deadline", cell: (r) => deadlineBadge(r.deadline_state) },
    ],
  })}`;
}
