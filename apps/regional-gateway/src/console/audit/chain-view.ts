import { html } from "hono/html";

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
  checkpoint_problems: { id: number | null; last_id: number; problem?: string; detail?: string; source: string }[];
  worm_copies: number;
  rows_after_checkpoint: number;
  signing_key: { fingerprint: string } | null;
  checked_at: string;
}

export interface CheckpointItem {
  id: number;
  last_id: number;
  last_hash: string;
  row_count: number;
  created_at: string;
  key_fingerprint: string;
  trigger: string;
  worm: { storage_key: string; retention_mode: string; retain_until: string; provider_locked: boolean };
}

export interface ChainViewInput {
  verify: VerifyReport;
  checkpoints: CheckpointItem[];
  nextHref: string | null;
  /** Export form values and errors (an id range or a UTC time range). */
  exportValues: { from_id: string; to_id: string; from: string; to: string };
  exportErrors: Record<string, string>;
}

function status(v: VerifyReport) {
  if (v.intact) return html`<p class="status status-ok" role="status" data-testid="chain-status">Intact: ${v.rows} row(s) chained${v.checkpoint ? `, signed up to row ${v.checkpoint.last_id}` : ", none signed yet"}.</p>`;
  const why = v.truncated ? "rows covered by a signed checkpoint are missing" : v.first_broken ? `the chain breaks at row ${v.first_broken.id}: ${v.first_broken.reason}` : "a checkpoint does not match the log";
  return html`<p class="status status-bad" role="alert" data-testid="chain-status">Broken: ${why}.</p>`;
}

function facts(v: VerifyReport) {
  return html`<dl class="facts">
    <dt>Rows</dt><dd>${v.rows}</dd>
    <dt>Head</dt><dd>${v.last_id ?? "none"}${v.last_hash ? html` <code class="hash">${v.last_hash}</code>` : ""}</dd>
    <dt>Newest valid checkpoint</dt><dd>${v.checkpoint ? html`row ${v.checkpoint.last_id}, <time datetime="${v.checkpoint.created_at}">${v.checkpoint.created_at}</time> (${v.checkpoint.source})` : "none"}</dd>
    <dt>Rows not yet signed</dt><dd>${v.rows_after_checkpoint}</dd>
    <dt>Checkpoints checked</dt><dd>${v.checkpoints_checked} (${v.worm_copies} WORM copies)</dd>
    <dt>Signing key</dt><dd>${v.signing_key ? html`<code class="hash">${v.signing_key.fingerprint}</code>` : "none configured: the log is chained but never signed"}</dd>
    <dt>Checked at</dt><dd><time datetime="${v.checked_at}">${v.checked_at}</time></dd>
  </dl>
  ${v.checkpoint_problems.length === 0 ? "" : html`<div class="table-wrap"><table><caption>Checkpoint problems</caption>
    <thead><tr><th scope="col">Checkpoint</th><th scope="col">Up to row</th><th scope="col">Source</th><th scope="col">Problem</th></tr></thead>
    <tbody>${v.checkpoint_problems.map((p) => html`<tr><td>${p.id ?? "WORM copy only"}</td><td>${p.last_id}</td><td>${p.source}</td><td class="wrap">${p.problem ?? ""}${p.detail ? `: ${p.detail}` : ""}</td></tr>`)}</tbody>
  </table></div>`}`;
}

function checkpoints(input: ChainViewInput) {
  if (input.checkpoints.length === 0) return html`<p class="empty">No signed checkpoints yet. The region signs its chain head every checkpoint interval once the log has moved.</p>`;
  return html`<div class="table-wrap"><table><caption>Signed checkpoints, newest first</caption>
    <thead><tr><th scope="col">#</th><th scope="col">Signed</th><th scope="col">Up to row</th><th scope="col" class="num">Rows</th><th scope="col">Trigger</th><th scope="col">WORM copy</th></tr></thead>
    <tbody>${input.checkpoints.map((c) => html`<tr><td>${c.id}</td><td><time datetime="${c.created_at}">${c.created_at}</time></td><td>${c.last_id}</td><td class="num">${c.row_count}</td><td>${c.trigger}</td><td>${c.worm.retention_mode} until ${c.worm.retain_until.slice(0, 10)}</td></tr>`)}</tbody>
  </table></div>
  ${input.nextHref ? html`<nav class="pager" aria-label="Checkpoint pages"><a href="${input.nextHref}">Older checkpoints</a></nav>` : ""}`;
}

function exportForm(input: ChainViewInput) {
  const v = input.exportValues;
  const e = input.exportErrors;
  const field = (name: keyof ChainViewInput["exportValues"], label: string, type: string) => html`<label for="ex-${name}">${label}
    <input type="${type}" id="ex-${name}" name="${name}" value="${v[name]}"${type === "number" ? ' min="1"' : ' step="1"'}${e[name] ? html` aria-invalid="true" aria-describedby="ex-${name}-error"` : ""}></label>
    ${e[name] ? html`<p class="field-error" id="ex-${name}-error">${e[name]}</p>` : ""}`;
  return html`<form method="get" action="/console/audit/export" class="filters">
    ${field("from_id", "From row", "number")}${field("to_id", "To row", "number")}
    ${field("from", "Or from (UTC)", "datetime-local")}${field("to", "to (UTC)", "datetime-local")}
    <button type="submit">Download JSON Lines</button>
  </form>
  ${e[""] ? html`<p class="field-error" role="alert">${e[""]}</p>` : ""}
  <p class="hint">Give a row range or a time range (not both); leave all empty for the whole log. The file carries the checkpoints that let it be verified offline.</p>`;
}

/** The chain's verification status, its signed checkpoints and the export form. */
export function chainView(input: ChainViewInput) {
  return html`<section aria-labelledby="chain-h"><h2 id="chain-h">Chain verification</h2>${status(input.verify)}${facts(input.verify)}</section>
  <section aria-labelledby="cp-h"><h2 id="cp-h">Checkpoints</h2>${checkpoints(input)}</section>
  <section aria-labelledby="ex-h"><h2 id="ex-h">Export</h2>${exportForm(input)}</section>`;
}
