import { AppError, apiError, isAdminToken } from "@s3gw/core";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";

/**
 * Admin-only routes: `Authorization: Bearer <admin token>`. The global router knows no other
 * role. Without a configured token these routes are switched off rather than left open.
 */
export function requireAdmin(configured: { sha256: string } | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!configured) {
      throw apiError.unavailable("this endpoint is disabled: the router has no ADMIN_TOKEN or ADMIN_TOKEN_SHA256 configured");
    }
    const token = c.req.header("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token || !isAdminToken(configured, token)) {
      // Never log the presented token, only that one was refused.
      c.get("logger").warn({ method: c.req.method, presented: token !== undefined }, "admin authentication refused");
      const message = token ? "unknown admin token" : "an admin bearer token is required (Authorization: Bearer <token>)";
      throw new AppError("UNAUTHORIZED", 401, message, { headers: { "www-authenticate": 'Bearer realm="s3gw-global"' } });
    }
    await next();
  };
}
