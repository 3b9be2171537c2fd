import { html } from "hono/html";
import type { Html } from "../layout/page.ts";

export interface Bar {
  label: string;
  value: number;
  /** Part of `value` drawn in the alert colour (e.g. the errors among the requests). */
  bad?: number;
  /** Shown at the end of the bar; defaults to the value. */
  text?: string;
}

// In viewBox units: a chart card is 320-400 px wide, so these read at about the body text size.
const WIDTH = 420;
const LABEL_W = 175;
const VALUE_W = 70;
const ROW = 26;
const BAR_H = 17;

/**
 * A horizontal bar chart as server-rendered SVG (no script, nothing inline the CSP forbids:
 * colours come from console.css classes). Scales with the page (viewBox), so it reads at
 * 1280 px and on a phone. The same numbers are in a table next to it for screen readers.
 */
export function barChart(opts: { id: string; title: string; bars: readonly Bar[]; empty: string }): Html {
  if (opts.bars.length === 0 || opts.bars.every((b) => b.value === 0)) {
    return html`<figure class="card chart-card"><figcaption><strong>${opts.title}</strong></figcaption><p class="empty">${opts.empty}</p></figure>`;
  }
  const max = Math.max(...opts.bars.map((b) => b.value));
  const span = WIDTH - LABEL_W - VALUE_W;
  const height = opts.bars.length * ROW + 10;
  const rows = opts.bars.map((b, i) => {
    const y = 5 + i * ROW;
    const w = max === 0 ? 0 : Math.max(b.value > 0 ? 2 : 0, (b.value / max) * span);
    const badW = max === 0 || !b.bad ? 0 : Math.max(2, (Math.min(b.bad, b.value) / max) * span);
    return html`<g>
<text x="${String(LABEL_W - 8)}" y="${String(y + BAR_H - 4)}" text-anchor="end">${short(b.label)}</text>
<rect class="bar" x="${String(LABEL_W)}" y="${String(y)}" width="${w.toFixed(1)}" height="${String(BAR_H)}" rx="2"></rect>
${badW > 0 ? html`<rect class="bar-bad" x="${String(LABEL_W)}" y="${String(y)}" width="${badW.toFixed(1)}" height="${String(BAR_H)}" rx="2"></rect>` : ""}
<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${String(y + BAR_H - 4)}">${b.text ?? String(b.value)}</text>
</g>`;
  });
  return html`<figure class="card chart-card">
<figcaption id="${opts.id}-title"><strong>${opts.title}</strong></figcaption>
<svg class="chart" viewBox="0 0 ${String(WIDTH)} ${String(height)}" role="img" aria-labelledby="${opts.id}-title" xmlns="http://www.w3.org/2000/svg">
<line class="axis" x1="${String(LABEL_W)}" y1="0" x2="${String(LABEL_W)}" y2="${String(height)}"></line>
${rows}
</svg>
<details><summary>Show as a table</summary><table><caption class="sr-only">${opts.title}</caption><tbody>${opts.bars.map(
    (b) => html`<tr><th scope="row">${b.label}</th><td class="num">${b.text ?? String(b.value)}</td></tr>`,
  )}</tbody></table></details>
</figure>`;
}

/** A label that fits its column; the full text is in the table under the chart. */
const short = (label: string) => (label.length > 22 ? `${label.slice(0, 21)}…` : label);

/** Milliseconds, rounded for reading. */
export const ms = (v: number | null): string => (v === null ? "—" : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
