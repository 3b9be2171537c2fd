import { Hono } from "hono";
import { html } from "hono/html";
import { page } from "../layout/page.ts";
import { consoleApi } from "../session/api-client.ts";
import type { ConsoleEnv } from "../session/env.ts";

/** The region at a glance: its health, its traffic, and the compliance work waiting. */
export function overviewRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();
  r.get("/", async (c) => {
    const api = consoleApi(c);
    const health = await api.get<{ database?: string; storage?: { status?: string } }>("/health");
    const db = health.body?.database === "ok";
    const storage = health.body?.storage?.status === "ok";
    return page(c, {
      title: "Overview",
      active: "overview",
      body: html`<section aria-labelledby="health-h"><h2 id="health-h">Region health</h2>
<div class="cards">
<div class="card"><span class="stat-label">Database</span> <span class="badge ${db ? "badge-ok" : "badge-bad"}">${db ? "ok" : "down"}</span></div>
<div class="card"><span class="stat-label">Storage</span> <span class="badge ${storage ? "badge-ok" : "badge-bad"}">${storage ? "ok" : "down"}</span></div>
</div></section>`,
    });
  });
  return r;
}
