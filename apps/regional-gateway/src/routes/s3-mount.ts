import { apiError } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { isManagementPath } from "../errors.ts";
import { forwarded } from "../middleware/forwarded.ts";
import { s3Routes } from "./s3/index.ts";

/**
 * The S3 API as mounted at /s3 and, for path-style clients, at the root. The root mount
 * comes after every management route, so it sees only what they did not answer; a
 * management prefix reaching it is an unknown management path, never a bucket.
 */
export function s3Mount(opts: { root: boolean }): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.use("*", async (c, next) => {
    if (opts.root && isManagementPath(c.req.path)) throw apiError.notFound(`no route for ${c.req.method} ${c.req.path}`);
    c.set("s3", true);
    await next();
  });
  r.use("*", forwarded);
  r.route("/", s3Routes());
  return r;
}
