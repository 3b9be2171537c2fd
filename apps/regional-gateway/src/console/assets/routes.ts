import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import type { ConsoleEnv } from "../session/env.ts";

interface Asset { body: string; type: string; etag: string }

/**
 * The console's stylesheet and script, read once when the app is built. Pages link them with
 * `?v=<version>` (a hash of both), so a browser may cache them for a day and still gets a new
 * deployment's files at once. Nothing else is served: no directory listing, no other names.
 */
export function consoleAssets(): { routes: Hono<ConsoleEnv>; version: string } {
  const load = (name: string, type: string): Asset => {
    const body = readFileSync(new URL(`./${name}`, import.meta.url), "utf8");
    return { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
  };
  const files: Record<string, Asset> = {
    "console.css": load("console.css", "text/css; charset=utf-8"),
    "console.js": load("console.js", "text/javascript; charset=utf-8"),
  };
  const version = createHash("sha256").update(Object.values(files).map((f) => f.etag).join()).digest("hex").slice(0, 12);
  const routes = new Hono<ConsoleEnv>();
  routes.get("/:name", (c) => {
    const asset = Object.hasOwn(files, c.req.param("name")) ? files[c.req.param("name")] : undefined;
    if (!asset) return c.text("Not found", 404);
    const headers = { "content-type": asset.type, etag: asset.etag, "cache-control": "public, max-age=86400" };
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  });
  return { routes, version };
}
