import { EXECUTABLE_GDPR_TYPES, GDPR_STATUSES, type GdprRequestType, OPEN_GDPR_STATUSES, type GdprStatus } from "@s3gw/core";
import { html } from "hono/html";
import { formError, select, submit, textarea } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table } from "../layout/table.ts";
import { facts, when } from "../compliance/bits.ts";
import { deadlineBadge, type DsrItem, statusText } from "./list-view.ts";

export interface DsrDetailInput {
  dsr: DsrItem;
  canAct: boolean;
  csrf: Html;
  /** The tracking form as sent, with its errors by field ("" for the rest), after a refusal. */
  update?: { values: Record<string, string>; errors: Record<string, string> };
}

const EXECUTE_TEXT: Record<string, string> = {
  access: "Prepares the export of the subject's objects, their metadata and audit trail.",
  portability: "Prepares the export, with the objects' content, as a machine-readable file.",
  erasure: "Deletes the subject's objects and their bytes, except those under a legal hold or retention. This cannot be undone.",
  restriction: "Makes reads of the subject's objects answer 403 until the restriction is lifted.",
};

interface HistoryEntry { at: string; by: string; from: string; to: string; note?: string }

const isOpen = (r: DsrItem) => OPEN_GDPR_STATUSES.includes(r.status as GdprStatus);
const executable = (r: DsrItem) => EXECUTABLE_GDPR_TYPES.includes(r.request_type as GdprRequestType);

function actions(input: DsrDetailInput) {
  const r = input.dsr;
  const type = r.request_type;
  const parts: Html[] = [];
  if (isOpen(r) && executable(r)) {
    parts.push(html`<form method="post" action="/console/gdpr/${r.request_id}/execute">
      ${input.csrf}
      <p>${EXECUTE_TEXT[type]}</p>
      ${submit(`Execute ${type} request`, { kind: type === "erasure" ? "danger" : "primary", confirm: `Execute this ${type} request for ${r.data_subject_id}? ${EXECUTE_TEXT[type]}` })}
    </form>`);
  }
  if (r.status === "completed" && (type === "access" || type === "portability")) {
    parts.push(html`<p><a class="btn btn-primary" href="/console/gdpr/${r.request_id}/export" download>Download the export (dsr-${r.request_id}.json)</a></p>
      <p class="hint">The file holds the subject's personal data: keep it only as long as the response needs.</p>`);
  }
  const lifted = (r.result?.lifted as { at?: string } | null | undefined)?.at;
  if (r.status === "completed" && type === "restriction" && !lifted) {
    parts.push(html`<form method="post" action="/console/gdpr/${r.request_id}/lift">
      ${input.csrf}
      ${submit("Lift the restriction", { kind: "plain", confirm: "Lift the restriction? The subject's objects become readable again." })}
    </form>`);
  }
  if (parts.length === 0) return "";
  return html`<section aria-labelledby="dsr-act-h" class="card"><h2 id="dsr-act-h">Actions</h2>${parts}</section>`;
}

function trackingForm(input: DsrDetailInput) {
  const r = input.dsr;
  // Executable types complete only through execution, which records what was done.
  const statuses = GDPR_STATUSES.filter((s) => !(executable(r) && s === "completed"));
  const v = input.update?.values ?? {};
  const e = input.update?.errors ?? {};
  return html`<section aria-labelledby="dsr-track-h" class="card"><h2 id="dsr-track-h">${isOpen(r) ? "Status and notes" : "Add a note"}</h2>
    <form method="post" action="/console/gdpr/${r.request_id}">
      ${input.csrf}
      ${isOpen(r) ? select({ name: "status", label: "Status", value: v.status ?? r.status, error: e.status, options: statuses.map((s) => ({ value: s, label: statusText(s) })) }) : ""}
      ${textarea({ name: "notes", label: "Note", value: v.notes, rows: 3, hint: "Added to the request's notes with the time and your token's name.", error: e.notes })}
      ${formError(e[""])}
      ${submit("Save")}
    </form></section>`;
}

function history(r: DsrItem) {
  const entries = (r.result?.history as HistoryEntry[] | undefined) ?? [];
  if (entries.length === 0) return "";
  return table<HistoryEntry>({
    caption: "Status history",
    rows: entries,
    empty: "",
    columns: [
      { label: "When", cell: (h) => when(h.at) },
      { label: "By", cell: (h) => h.by },
      { label: "From", cell: (h) => statusText(h.from) },
      { label: "To", cell: (h) => statusText(h.to) },
      { label: "Note", cell: (h) => h.note ?? "" },
    ],
  });
}

/** One data-subject request: its facts and deadline, what may be done with it, its notes and history. */
export function dsrDetailView(input: DsrDetailInput): Html {
  const r = input.dsr;
  const { history: _history, ...outcome } = r.result ?? {};
  return html`${facts("The request", [
    ["Request id", html`<code>${r.request_id}</code>`],
    ["Type", r.request_type],
    ["Customer", r.customer_id],
    ["Data subject", r.data_subject_id],
    ["Status", html`<span data-testid="dsr-status">${statusText(r.status)}</span>`],
    ["Received", html`${when(r.received_at)} by ${r.requested_by}`],
    ["Respond by", html`${when(r.response_deadline)} ${deadlineBadge(r.deadline_state)}`],
    ...(r.completed_at ? [["Closed", when(r.completed_at)] as [string, Html]] : []),
    ["Objects affected", r.affected_objects.length],
  ])}
  ${input.canAct ? actions(input) : ""}
  ${Object.keys(outcome).length > 0 ? html`<h2>Outcome</h2><pre>${JSON.stringify(outcome, null, 2)}</pre>` : ""}
  <h2>Notes</h2>
  ${r.notes ? html`<pre>${r.notes}</pre>` : html`<p class="empty">No notes yet.${input.canAct ? " Add one below." : ""}</p>`}
  ${history(r)}
  ${input.canAct ? trackingForm(input) : ""}
  <p><a href="/console/gdpr">Back to all requests</a></p>`;
}
