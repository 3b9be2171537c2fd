import { html } from "hono/html";
import type { Html } from "../layout/page.ts";

/** Words and colour for a state, never colour alone. */
export type Tone = "ok" | "warn" | "bad" | "neutral";

export const badge = (text: string, tone: Tone) => html`<span class="badge badge-${tone}">${text}</span>`;

const SEVERITY_TONE: Record<string, Tone> = { critical: "bad", high: "bad", medium: "warn", low: "neutral" };
export const severityBadge = (severity: string) => badge(severity, SEVERITY_TONE[severity] ?? "neutral");

/** Key facts as a two-column table with row headers (readable on a phone, no extra styles). */
export function facts(caption: string, rows: readonly [string, Html | string | number][]): Html {
  return html`<div class="table-wrap"><table><caption>${caption}</caption><tbody>${rows.map(
    ([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`,
  )}</tbody></table></div>`;
}

/** Big numbers of a run (checked, ok, mismatched...), as the overview shows its counts. */
export function stats(items: readonly { label: string; value: number | string }[]): Html {
  return html`<div class="cards">${items.map((i) => html`<div class="card"><span class="stat">${i.value}</span><span class="stat-label">${i.label}</span></div>`)}</div>`;
}

/** A section's own links (tabs); the current one is marked for assistive tech and by its style. */
export function subnav(label: string, items: readonly { href: string; label: string; current: boolean }[]): Html {
  return html`<nav class="actions" aria-label="${label}">${items.map(
    (t) => html`<a class="btn ${t.current ? "btn-primary" : "btn-plain"}" href="${t.href}"${t.current ? html` aria-current="page"` : ""}>${t.label}</a>`,
  )}</nav>`;
}

export const when = (iso: string | null | undefined) => (iso ? html`<time datetime="${iso}">${iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC")}</time>` : html`<span class="muted">—</span>`);
export const day = (iso: string) => html`<time datetime="${iso}">${iso.slice(0, 10)}</time>`;

export type ComplianceTab = "alerts" | "residency" | "jurisdiction" | "integrity";

const TABS: { key: ComplianceTab; label: string; href: string; acting?: true }[] = [
  { key: "alerts", label: "Alerts", href: "/console/compliance" },
  { key: "residency", label: "Residency validation", href: "/console/compliance/residency" },
  { key: "jurisdiction", label: "Jurisdiction report", href: "/console/compliance/jurisdiction" },
  // Verification changes object state (it marks failures): auditors cannot run it.
  { key: "integrity", label: "Integrity verification", href: "/console/compliance/integrity", acting: true },
];

/** The compliance section's own navigation; a tab the role cannot use is not shown. */
export function complianceTabs(active: ComplianceTab, canAct: boolean) {
  return subnav("Compliance", TABS.filter((t) => canAct || !t.acting).map((t) => ({ href: t.href, label: t.label, current: t.key === active })));
}
