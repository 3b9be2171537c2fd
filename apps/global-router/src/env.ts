import type { HttpBindings } from "@hono/node-server";
import type { Logger } from "./logger.ts";

/**
 * Bindings are present when served by @hono/node-server; `app.request()` in tests runs
 * without them, so code that needs the raw Node streams must check first.
 */
export interface AppEnv {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    logger: Logger;
  };
}

export function nodeBindings(env: unknown): HttpBindings | undefined {
  const b = env as Partial<HttpBindings> | undefined;
  return b?.incoming && b.outgoing ? (b as HttpBindings) : undefined;
}

/** First path segments that are the router's own; everything else is S3 (at /s3/... or path-style at the root). */
export const MANAGEMENT_PREFIXES = ["/health", "/metrics", "/ops", "/routing", "/regions", "/providers", "/internal", "/console"] as const;

export const isManagementPath = (path: string): boolean => MANAGEMENT_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));

export const isS3Path = (path: string): boolean => !isManagementPath(path);

/**
 * The path as the client sent it (before the query): S3 paths are literal, while the URL
 * Hono parses has its dot segments resolved. Without a socket (app.request), the parsed one.
 */
export function rawPathOf(c: { env: unknown; req: { path: string } }): string {
  const raw = nodeBindings(c.env)?.incoming.url;
  if (raw === undefined) return c.req.path;
  const q = raw.indexOf("?");
  return q < 0 ? raw : raw.slice(0, q);
}
