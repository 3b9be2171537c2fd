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

export const isS3Path = (path: string): boolean => path === "/s3" || path.startsWith("/s3/");
