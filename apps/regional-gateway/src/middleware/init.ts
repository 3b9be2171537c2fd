import { randomUUID } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Deps } from "../env.ts";

const FORWARDED_ID = /^[A-Za-z0-9-]{8,64}$/;

/**
 * 16 hex digits, as S3's request ids look. From randomUUID's random digits (the first eight and
 * the last eight, none of them the version or variant): Node draws those from a pool it fills in
 * batches, where randomBytes(8) asked OpenSSL once per request (1% of a small GET's CPU).
 */
function newRequestId(): string {
  const u = randomUUID();
  return (u.slice(0, 8) + u.slice(28)).toUpperCase();
}

/** Sets the per-request variables every handler relies on, and stamps the request id on the answer. */
export function init(deps: Deps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const forwarded = c.req.header("x-request-id");
    const requestId = forwarded && FORWARDED_ID.test(forwarded) ? forwarded : newRequestId();
    c.set("deps", deps);
    c.set("requestId", requestId);
    c.set("logger", deps.logger.child({ requestId }));
    c.set("startedAt", performance.now());
    c.set("op", { operation: "Unknown", requestId });
    await next();
    c.header("x-amz-request-id", requestId);
    c.header("x-request-id", requestId);
  });
}
