import { randomBytes } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Deps } from "../env.ts";

const FORWARDED_ID = /^[A-Za-z0-9-]{8,64}$/;

/** Sets the per-request variables every handler relies on, and stamps the request id on the answer. */
export function init(deps: Deps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const forwarded = c.req.header("x-request-id");
    const requestId = forwarded && FORWARDED_ID.test(forwarded) ? forwarded : randomBytes(8).toString("hex").toUpperCase();
    c.set("deps", deps);
    c.set("requestId", requestId);
    c.set("logger", deps.logger.child({ requestId }));
    c.set("startedAt", performance.now());
    c.set("op", { operation: "Unknown" });
    await next();
    c.header("x-amz-request-id", requestId);
    c.header("x-request-id", requestId);
  });
}
