import { EXECUTABLE_GDPR_TYPES, GDPR_STATUSES, type GdprRequestType, OPEN_GDPR_STATUSES, type GdprStatus } from "@s3gw/core";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { deadlineBadge, type DsrItem } from "./list-view.ts";

export interface DsrDetailInput {
  dsr: DsrItem;
  canAct: boolean;
  csrf: HtmlEscapedString | Promise<HtmlEscapedString>;
  /** The tracking form as sent, with its errors by field, after a refused update. */
  update?: { values: Record<string, string>; errors: Record<string, string> };
  /** A refused execute or lift. */
  actionError?: string;
}

const EXECUTE_TEXT: Record<string, string> = {
  access: "Prepares the export of the subject's objects and their audit trail.",
  portability: "Prepares the export, with the objects' content, in a machine-readable file.",
  erasure: "Deletes the subject's objects and their bytes, except those under a legal hold or retention. This cannot be undone.",
  restriction: "Makes reads of the subject's objects answer 403 until the restriction is lifted.",
};

interface HistoryEntry { at: string; by: string; from: string; to: string; note?: string }

function actions(input: DsrDetailInput) {
  const r = input.dsr;
  const type = r.request_type as GdprRequestType;
  const open = OPEN_GDPR_STATUSES.includes(r.status as GdprStatus);
  const parts: unknown[] = [];
  if (open && EXECUTABLE_GDPR_TYPES.includes(type)) {
    parts.push(html`<form method="post" action="/console/gdpr/${r.request_id}/execute" class="inline-form">
      ${input.csrf}
      <p class="hint">${EXECUTE_TEXT[type]}</p>
      <button type="submit" class="${type === "erasure" ? "danger" : ""}" data-confirm="Execute this ${type} request for ${r.data_subject_id}? ${EXECUTE_TEXT[type]}">Execute ${type} request</button>
    </form>`);
  }
  if (r.status === "completed" && (type === "access" || type === "portability")) {
    parts.push(html`<p><a class="button" href="/console/gdpr/${r.request_id}/export" download>Download export (dsr-${r.request_id}.json)</a></p>`);
  }
  const lifted = (r.result?.lifted as { at?: string } | null | undefined)?.at;
  if (r.status === "completed" && type === "restriction" && !lifted) {
    parts.push(html`<form method="post" action="/console/gdpr/${r.request_id}/lift" class="inline-form">
      ${input.csrf}
      <button type="submit" data-confirm="Lift the restriction: the subject's objects become readable again?">Lift restriction</button>
    </form>`);
  }
  if (parts.length === 0) return "";
  return html`<section aria-labelledby="dsr-act-h"><h2 id="dsr-act-h">Actions</h2>
    ${input.actionError ? html`<p class="field-error" role="alert">${input.actionError}</p>` : ""}
    ${parts}</section>`;
}

function trackingForm(input: DsrDetailInput) {
  const r = input.dsr;
  const open = OPEN_GDPR_STATUSES.includes(r.status as GdprStatus);
  const executable = EXECUTABLE_GDPR_TYPES.includes(r.request_type as GdprRequestType);
  // Executable types complete only through execution, which records what was done.
  const statuses = GDPR_STATUSES.filter((s) => !(executable && s === "completed"));
  const v = input.update?.values ?? {};
  const errs = input.update?.errors ?? {};
  const err = (name: string) => (errs[name] ? html`<p class="field-error" id="dsr-${name}-error">${errs[name]}</p>` : "");
  const invalid = (name: string) => (errs[name] ? html` aria-invalid="true" aria-describedby="dsr-${name}-error"` : "");
  return html`<section aria-labelledby="dsr-track-h"><h2 id="dsr-track-h">${open ? "Status and notes" : "Add a note"}</h2>
    <form method="post" action="/console/gdpr/${r.request_id}" class="stack-form">
      ${input.csrf}
      ${open ? html`<label for="dsr-status">Status</label>
        <select id="dsr-status" name="status"${invalid("status")}>${statuses.map((s) => html`<option value="${s}"${(v.status ?? r.status) === s ? " selected" : ""}>${s.replace("_", " ")}</option>`)}</select>${err("status")}` : ""}
      <label for="dsr-notes">Note</label>
      <textarea id="dsr-notes" name="notes" rows="3" maxlength="10000"${invalid("notes")}>${v.notes ?? ""}</textarea>${err("notes")}
      ${errs[""] ? html`<p class="field-error" role="alert">${errs[""]}</p>` : ""}
      <button type="submit">Save</button>
    </form></section>`;
}

function history(r: DsrItem) {
  const entries = (r.result?.history as HistoryEntry[] | undefined) ?? [];
  if (entries.length === 0) return "";
  return html`<div class="table-wrap"><table><caption>Status history</caption>
    <thead><tr><th scope="col">When</th><th scope="col">By</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Note</th></tr></thead>
    <tbody>${entries.map((h) => html`<tr><td><time datetime="${h.at}">${h.at}</time></td><td>${h.by}</td><td>${h.from}</td><td>${h.to}</td><td class="wrap">${h.note ?? ""}</td></tr>`)}</tbody>
  </table></div>`;
}

/** One data-subject request: its facts and deadline, what may be done with it, its notes and history. */
export function dsrDetailView(input: DsrDetailInput) {
  const r = input.dsr;
  const { history: _h, ...outcome } = r.result ?? {};
  return html`<dl class="facts">
    <dt>Request</dt><dd><code>${r.request_id}</code></dd>
    <dt>Type</dt><dd>${r.request_type}</dd>
    <dt>Customer</dt><dd>${r.customer_id}</dd>
    <dt>Data subject</dt><dd>${r.data_subject_id}</dd>
    <dt>Status</dt><dd data-testid="dsr-status">${r.status.replace("_", " ")}</dd>
    <dt>Received</dt><dd><time datetime="${r.received_at}">${r.received_at}</time> by ${r.requested_by}</dd>
    <dt>Respond by</dt><dd><time datetime="${r.response_deadline}">${r.response_deadline}</time> ${deadlineBadge(r.deadline_state)}</dd>
    ${r.completed_at ? html`<dt>Closed</dt><dd><time datetime="${r.completed_at}">${r.completed_at}</time></dd>` : ""}
    <dt>Objects affected</dt><dd>${r.affected_objects.length}</dd>
  </dl>
  ${input.canAct ? actions(input) : ""}
  ${Object.keys(outcome).length > 0 ? html`<section aria-labelledby="dsr-out-h"><h2 id="dsr-out-h">Outcome</h2><pre class="json">${JSON.stringify(outcome, null, 2)}</pre></section>` : ""}
  <section aria-labelledby="dsr-notes-h"><h2 id="dsr-notes-h">Notes</h2>
    ${r.notes ? html`<pre class="notes">${r.notes}</pre>` : html`<p class="empty">No notes yet.${input.canAct ? " Add one below." : ""}</p>`}
  </section>
  ${history(r)}
  ${input.canAct ? trackingForm(input) : ""}`;
}
