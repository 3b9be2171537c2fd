import { html } from "hono/html";
import { formError, submit, input as textInput } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table, type TableOptions } from "../layout/table.ts";
import { badge, facts, when } from "../compliance/bits.ts";

type Problem = { id: number | null; last_id: number; problem?: string; detail?: string; source: string };

export interface VerifyReport {
  region: string;
  intact: boolean;
  rows: number;
  last_id: number | null;
  last_hash: string | null;
  first_broken?: { id: number; reason: string };
  truncated: boolean;
  checkpoint: { last_id: number; created_at: string; source: string } | null;
  checkpoints_checked: number;
  checkpoint_problems: Problem[];
  worm_copies: number;
  rows_after_checkpoint: number;
  signing_key: { fingerprint: string } | null;
  checked_at: string;
}

export interface CheckpointItem {
  id: number;
  last_id: number;
  row_count: number;
  created_at: string;
  trigger: string;
  worm: { storage_key: string; retention_mode: string; retain_until: string; provider_locked: boolean };
}

export interface ChainViewInput {
  verify: VerifyReport;
  checkpoints: CheckpointItem[];
  paging: Pick<TableOptions<unknown>, "next" | "first">;
  /** Export form values and errors (an id range or a UTC time range; "" for the rest). */
  exportValues: { from_id: string; to_id: string; from: string; to: string };
  exportErrors: Record<string, string>;
  /** Admins may sign the chain head now (the form token); others see only the signed ones. */
  signForm: Html | null;
}

function status(v: VerifyReport) {
  if (v.intact) {
    return html`<p role="status">${badge("intact", "ok")} ${v.rows} row(s) chained${v.checkpoint ? `, signed up to row ${v.checkpoint.last_id}` : ", none signed yet"}.</p>`;
  }
  const why = v.truncated ? "rows covered by a signed checkpoint are missing" : v.first_broken ? `the chain breaks at row ${v.first_broken.id}: ${v.first_broken.reason}` : "a checkpoint does not match the log";
  return html`<p role="alert">${badge("broken", "bad")} ${why}.</p>`;
}

function verification(v: VerifyReport) {
  return html`${status(v)}
  ${facts("Verification", [
    ["Rows", v.rows],
    ["Head", v.last_hash ? html`row ${v.last_id ?? 0} <code>${v.last_hash}</code>` : "no rows"],
    ["Newest valid checkpoint", v.checkpoint ? html`row ${v.checkpoint.last_id}, ${when(v.checkpoint.created_at)} (${v.checkpoint.source})` : "none"],
    ["Rows not yet signed", v.rows_after_checkpoint],
    ["Checkpoints checked", `${v.checkpoints_checked} (${v.worm_copies} WORM copies)`],
    ["Signing key", v.signing_key ? html`<code>${v.signing_key.fingerprint}</code>` : "none configured: the log is chained but never signed"],
    ["Checked at", when(v.checked_at)],
  ])}
  ${v.checkpoint_problems.length === 0 ? "" : table<Problem>({
    caption: "Checkpoint problems",
    rows: v.checkpoint_problems,
    empty: "",
    columns: [
      { label: "Checkpoint", cell: (p) => (p.id === null ? "WORM copy only" : p.id) },
      { label: "Up to row", cell: (p) => p.last_id },
      { label: "Source", cell: (p) => p.source },
      { label: "Problem", cell: (p) => `${p.problem ?? ""}${p.detail ? `: ${p.detail}` : ""}` },
    ],
  })}`;
}

function exportForm(input: ChainViewInput) {
  const v = input.exportValues;
  const e = input.exportErrors;
  return html`<form method="get" action="/console/audit/export" class="filters" aria-label="Export the operations log">
    ${textInput({ name: "from_id", id: "ex-from_id", type: "number", label: "From row", value: v.from_id, error: e.from_id, attrs: html`min="1"` })}
    ${textInput({ name: "to_id", id: "ex-to_id", type: "number", label: "To row", value: v.to_id, error: e.to_id, attrs: html`min="1"` })}
    ${textInput({ name: "from", id: "ex-from", type: "datetime-local", label: "Or from (UTC)", value: v.from, error: e.from, attrs: html`step="1"` })}
    ${textInput({ name: "to", id: "ex-to", type: "datetime-local", label: "to (UTC)", value: v.to, error: e.to, attrs: html`step="1"` })}
    <div class="field">${submit("Download JSON Lines")}</div>
  </form>
  ${formError(e[""])}
  <p class="hint">A row range or a time range (not both); all empty exports the whole log. The file carries the signed checkpoints that let it be verified offline (see the README).</p>`;
}

/** The chain's verification status, its signed checkpoints and the export form. */
export function chainView(input: ChainViewInput): Html {
  return html`<p><a href="/console/audit">Back to the operations log</a></p>
  <h2>Chain verification</h2>
  ${verification(input.verify)}
  ${table<CheckpointItem>({
    caption: "Signed checkpoints, newest first",
    rows: input.checkpoints,
    empty: "No signed checkpoints yet. The region signs its chain head every checkpoint interval once the log has moved.",
    ...input.paging,
    columns: [
      { label: "#", cell: (c) => c.id },
      { label: "Signed", cell: (c) => when(c.created_at) },
      { label: "Up to row", cell: (c) => c.last_id },
      { label: "Rows", cell: (c) => c.row_count, numeric: true },
      { label: "Trigger", cell: (c) => c.trigger },
      { label: "WORM copy", cell: (c) => `${c.worm.retention_mode} until ${c.worm.retain_until.slice(0, 10)}` },
    ],
  })}
  ${input.signForm ?? ""}
  <h2>Export</h2>
  ${exportForm(input)}`;
}
