import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { apiError } from "@s3gw/core";
import { Hono, type Env } from "hono";

/** The page's own policy: scripts and styles from this origin only (the console's CSP is not used here). */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
};

const page = (title: string, base: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="${base}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/swagger-ui-standalone-preset.js"></script>
<script src="${base}/init.js"></script></body></html>`;

const init = (specUrl: string) =>
  `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: "#swagger-ui", presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout", validatorUrl: null });\n`;

/**
 * `GET <specPath>` (the document) and `GET <docsPath>` (Swagger UI from the swagger-ui-dist
 * package shipped with the app, no CDN). Open, like /health: they describe the API, they hold no data.
 */
export function openApiRoutes<E extends Env>(opts: { document: () => unknown; title: string; specPath: string; docsPath: string }): Hono<E> {
  const r = new Hono<E>();
  const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const assets = new Map<string, Promise<Buffer>>();
  const headers = (type: string) => ({ "content-type": type, "content-security-policy": DOCS_CSP, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" });
  let json: string | undefined;

  r.get(opts.specPath, (c) => c.body((json ??= JSON.stringify(opts.document())), 200, { ...headers("application/json"), "cache-control": "no-cache" }));
  r.get(opts.docsPath, (c) => c.body(page(opts.title, opts.docsPath), 200, { ...headers("text/html; charset=utf-8"), "x-frame-options": "DENY" }));
  r.get(`${opts.docsPath}/init.js`, (c) => c.body(init(opts.specPath), 200, headers("text/javascript; charset=utf-8")));
  r.get(`${opts.docsPath}/:asset`, async (c) => {
    const name = c.req.param("asset");
    const type = ASSETS[name];
    if (!type) throw apiError.notFound(`no documentation asset ${name}`);
    let file = assets.get(name);
    if (!file) assets.set(name, (file = readFile(join(dist, name))));
    return c.body(new Uint8Array(await file), 200, { ...headers(type), "cache-control": "public, max-age=86400" });
  });
  return r;
}
