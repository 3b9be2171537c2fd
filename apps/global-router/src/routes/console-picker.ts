import { Hono } from "hono";
import { html } from "hono/html";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { listRegions } from "../registry.ts";

const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = `:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430;background:#f6f7f9;line-height:1.5}
body{margin:0}header{background:#14243b;color:#fff;padding:.8rem 1.5rem;font-weight:600}main{max-width:960px;margin:0 auto;padding:1.25rem 1.5rem}
ul{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:1rem}
a.region{display:block;background:#fff;border:1px solid #d9dee5;border-radius:6px;padding:1rem;color:#1c2430;text-decoration:none}
a.region:hover{border-color:#1f5fbf}a.region:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.id{font-weight:700;color:#1f5fbf}.muted{color:#5b6675}`;

/**
 * The global endpoint's console is only a region picker: each region's console runs in that
 * region (its data never leaves it), so this page lists the registry's regions and links to
 * `<gateway endpoint>/console`. It reads no customer data and takes no input.
 */
export function consolePickerRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/console/picker.css", (c) => c.body(STYLE, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=3600", "content-security-policy": CSP, "x-content-type-options": "nosniff" }));
  app.get("/console", async (c) => {
    const regions = await listRegions(deps.db).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    // Only web addresses become links (the registry is the operators', but a link is a link).
    const items = regions.filter((r) => /^https?:\/\//i.test(r.gateway_endpoint)).map(
      (r) => html`<li><a class="region" href="${`${r.gateway_endpoint.replace(/\/+$/, "")}/console`}"><span class="id">${r.region_id}</span> ${r.name}<br><span class="muted">${r.country}${r.status === "active" ? "" : ` · ${r.status}`}</span></a></li>`,
    );
    const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Choose a region · console</title><link rel="stylesheet" href="/console/picker.css"></head>
<body><header>S3 gateway console</header><main>
<h1>Choose a region</h1>
<p class="muted">Each region has its own console, served by that region: its data is shown only there.</p>
${items.length === 0 ? html`<p>No regions are registered yet.</p>` : html`<ul>${items}</ul>`}
</main></body></html>`;
    return c.html(body, 200, { "content-security-policy": CSP, "x-content-type-options": "nosniff", "referrer-policy": "same-origin", "cache-control": "no-store", "x-frame-options": "DENY" });
  });
  return app;
}
