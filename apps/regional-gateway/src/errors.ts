import { AppError, errorXml, isAppError } from "@s3gw/core";
import { isDatabaseUnavailable } from "@s3gw/db";
import { storageUnavailable } from "@s3gw/storage";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env.ts";

/** First path segments that are the gateway's own; everything else is path-style S3. */
export const MANAGEMENT_PREFIXES = ["/health", "/metrics", "/ops", "/api", "/internal", "/console"] as const;

export function isManagementPath(path: string): boolean {
  return MANAGEMENT_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Fallback for errors raised before an S3 mount could mark the request (see the `s3` variable). */
export function isS3Path(path: string): boolean {
  return !isManagementPath(path);
}

/** Seconds a client should wait before retrying a 503 that names no wait of its own. */
const RETRY_AFTER_SECONDS = "1";

/**
 * The one error handler: S3 XML for S3 requests, JSON elsewhere. A dependency that is down
 * (the region's database, its storage) is a 503 with Retry-After, never a 500: the request
 * was fine and will work once the dependency is back. Unknown errors are 500s and logged.
 */
export function onError(err: Error, c: Context<AppEnv>): Response {
  let e: AppError;
  const s3 = c.get("s3") ?? isS3Path(c.req.path);
  const storage = isAppError(err) ? undefined : storageUnavailable(err);
  if (isAppError(err)) e = err;
  else if (err instanceof HTTPException) e = new AppError(err.status === 400 ? "InvalidRequest" : "InternalError", err.status, err.message);
  else if (isDatabaseUnavailable(err)) {
    c.get("logger")?.warn({ err: err.message }, "database unavailable");
    e = new AppError(s3 ? "ServiceUnavailable" : "SERVICE_UNAVAILABLE", 503, "The region's database is unavailable. Please retry.");
  } else if (storage) {
    c.get("logger")?.warn({ err: err.message }, "storage unavailable");
    e = storage;
  } else {
    c.get("logger")?.error({ err: err.message, stack: err.stack }, "unhandled error");
    e = new AppError("InternalError", 500, "We encountered an internal error. Please try again.");
  }
  // One JSON code style: an S3 code raised below a management route is rendered in it.
  if (!s3 && e.code === "ServiceUnavailable") e = new AppError("SERVICE_UNAVAILABLE", e.status, e.message, { headers: e.headers });
  const requestId = c.get("requestId") ?? "unknown";
  const headers: Record<string, string> = { ...e.headers, "x-amz-request-id": requestId };
  if (e.status === 503 && !Object.keys(headers).some((h) => h.toLowerCase() === "retry-after")) headers["retry-after"] = RETRY_AFTER_SECONDS;
  const op = c.get("op");
  if (op) op.errorCode = e.code;
  if (s3) {
    headers["content-type"] = "application/xml";
    const noBody = c.req.method === "HEAD" || e.status === 304;
    return new Response(noBody ? null : errorXml(e, requestId), { status: e.status, headers });
  }
  headers["content-type"] = "application/json";
  return new Response(JSON.stringify({ error: { code: e.code, message: e.message, requestId } }), { status: e.status, headers });
}
