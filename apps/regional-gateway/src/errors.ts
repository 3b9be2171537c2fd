import { AppError, errorXml, isAppError } from "@s3gw/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env.ts";

/** First path segments that are the gateway's own; everything else is path-style S3. */
export const MANAGEMENT_PREFIXES = ["/health", "/metrics", "/ops", "/api", "/internal"] as const;

export function isManagementPath(path: string): boolean {
  return MANAGEMENT_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Fallback for errors raised before an S3 mount could mark the request (see the `s3` variable). */
export function isS3Path(path: string): boolean {
  return !isManagementPath(path);
}

/** The one error handler: S3 XML for S3 requests, JSON elsewhere. Unknown errors are 500s and logged. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  let e: AppError;
  if (isAppError(err)) e = err;
  else if (err instanceof HTTPException) e = new AppError(err.status === 400 ? "InvalidRequest" : "InternalError", err.status, err.message);
  else {
    c.var.logger?.error({ err: err.message, stack: err.stack }, "unhandled error");
    e = new AppError("InternalError", 500, "We encountered an internal error. Please try again.");
  }
  const requestId = c.var.requestId ?? "unknown";
  const headers: Record<string, string> = { ...e.headers, "x-amz-request-id": requestId };
  const op = c.get("op");
  if (op) op.errorCode = e.code;
  if (c.get("s3") ?? isS3Path(c.req.path)) {
    headers["content-type"] = "application/xml";
    const noBody = c.req.method === "HEAD" || e.status === 304;
    return new Response(noBody ? null : errorXml(e, requestId), { status: e.status, headers });
  }
  headers["content-type"] = "application/json";
  return new Response(JSON.stringify({ error: { code: e.code, message: e.message, requestId } }), { status: e.status, headers });
}
