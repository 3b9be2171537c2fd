import { html } from "hono/html";
import type { Html } from "../layout/page.ts";
import { barChart, ms } from "./charts.ts";
import type { Count, OverviewData } from "./data.ts";

const count = (c: Count) => `${c.n}${c.more ? "+" : ""}`;

function status(ok: boolean, label: string, detail?: string): Html {
  return html`<div class="card"><span class="stat-label">${label}</span>
<p><span class="badge ${ok ? "badge-ok" : "badge-bad"}">${ok ? "ok" : "down"}</span>${detail ? html` <span class="muted">${detail}</span>` : ""}</p></div>`;
}

function workCard(href: string, label: string, c: Count, note?: string): Html {
  return html`<a class="card${c.n > 0 ? " attention" : ""}" href="${href}"><span class="stat">${count(c)}</span><span class="stat-label">${label}</span>${note ? html`<br><span class="hint">${note}</span>` : ""}</a>`;
}

export function healthSection(d: OverviewData): Html {
  const where = d.health.storageType ? `${d.health.storageType} storage${d.health.storageCountry ? ` in ${d.health.storageCountry}` : ""}` : "";
  return html`<section aria-labelledby="health-h"><h2 id="health-h">Region health</h2><div class="cards">
${status(d.health.database, "Database")}
${status(d.health.storage, "Storage", where || undefined)}
</div></section>`;
}

export function workSection(d: OverviewData, scope: string | null): Html {
  const w = d.work;
  if (!w) {
    return html`<section aria-labelledby="work-h"><h2 id="work-h">Compliance work</h2>
<p class="card">${scope ? `Customer ${scope} is not registered in this region yet, or its data cannot be read right now.` : "The region's database is unavailable, so the counts cannot be shown. Retry in a moment."}</p></section>`;
  }
  const severe = w.severe ? `${w.severe.critical} critical, ${w.severe.high} high` : undefined;
  const soon = w.gdprDueSoon ? `${w.gdprDueSoon.n} due within ${w.gdprDueSoon.days} days` : undefined;
  return html`<section aria-labelledby="work-h"><h2 id="work-h">Compliance work${scope ? html` for <code>${scope}</code>` : ""}</h2><div class="cards">
${workCard("/console/compliance", "Open violations and alerts", w.violations, severe)}
${workCard("/console/gdpr", "Pending GDPR requests", w.gdprPending, soon)}
${workCard("/console/gdpr?overdue=true", "Overdue GDPR requests", w.gdprOverdue)}
${workCard("/console/holds", "Objects under legal hold", w.holds, w.retained === undefined ? undefined : `${w.retained} under retention`)}
</div></section>`;
}

export function trafficSection(d: OverviewData): Html {
  const t = d.traffic;
  if (!t) {
    return html`<section aria-labelledby="traffic-h"><h2 id="traffic-h">Traffic</h2><p class="card muted">The region's request rate and latency are region-wide figures, shown to tokens that are not scoped to one customer.</p></section>`;
  }
  const rate = barChart({
    id: "rate",
    title: "Request rate (requests per minute; red: errors)",
    empty: "No requests in the last hour.",
    bars: [
      { label: "Last 5 minutes", value: t.last_5m.requests_per_minute, bad: (t.last_5m.server_errors + t.last_5m.client_errors) / t.last_5m.window_minutes, text: `${t.last_5m.requests_per_minute}/min` },
      { label: "Last 60 minutes", value: t.last_60m.requests_per_minute, bad: (t.last_60m.server_errors + t.last_60m.client_errors) / t.last_60m.window_minutes, text: `${t.last_60m.requests_per_minute}/min` },
    ],
  });
  const lat = (w: typeof t.last_5m, name: string) =>
    (["p50", "p95", "p99"] as const).map((p) => ({ label: `${name} ${p}`, value: w.latency_ms[p] ?? 0, text: ms(w.latency_ms[p]) }));
  const latency = barChart({ id: "latency", title: "Latency (milliseconds)", empty: "No requests in the last hour, so no latency yet.", bars: [...lat(t.last_5m, "5 min"), ...lat(t.last_60m, "60 min")] });
  const ops = barChart({
    id: "ops",
    title: "Busiest operations, last 60 minutes (red: errors)",
    empty: "No requests in the last hour.",
    bars: t.last_60m.operations.slice(0, 8).map((o) => ({ label: o.operation, value: o.requests, bad: o.server_errors + o.client_errors })),
  });
  const errors = `${t.last_60m.server_errors} server errors (${(t.last_60m.error_rate * 100).toFixed(2)} %), ${t.last_60m.client_errors} client errors in the last hour`;
  return html`<section aria-labelledby="traffic-h"><h2 id="traffic-h">Traffic</h2><p class="muted">${errors}. Counted by this gateway instance since it started (at most the last hour).</p>
<div class="charts">${rate}${latency}${ops}</div></section>`;
}
