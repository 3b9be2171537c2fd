import { apiError, describePrincipal, type Principal, type Role } from "@s3gw/core";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { authenticateToken } from "../services/access/tokens.ts";

/**
 * Management routes: a bearer token with one of `roles`. Denials are answered 401/403 and,
 * like every request under the audit middleware, land in the operations log.
 */
export function requireRole(...roles: readonly Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const deps = c.get("deps"), op = c.get("op");
    // Handlers name their operation; a request refused before its handler is named by its route.
    if (op.operation === "Unknown") op.operation = `${c.req.method} ${c.req.routePath}`;
    const header = c.req.header("authorization");
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) throw apiError.unauthorized("a bearer token is required (Authorization: Bearer <token>)");
    const principal = await authenticateToken(deps.db, deps.config.adminToken, token);
    if (!principal) throw apiError.unauthorized("unknown or revoked token");
    op.principal = describePrincipal(principal);
    if (!roles.includes(principal.role)) {
      throw apiError.forbidden(`role ${principal.role} may not ${c.req.method} ${c.req.path}`);
    }
    c.set("principal", principal);
    await next();
  });
}

/**
 * The customer a request may look at. A customer-scoped token sees only its customer: asking
 * for another is refused, and asking region-wide is narrowed to its own.
 */
export function scopeCustomer(c: Context<AppEnv>, requested: string | undefined): string | undefined {
  const p: Principal | undefined = c.get("principal");
  if (p?.customerId) {
    if (requested !== undefined && requested !== p.customerId) {
      throw apiError.forbidden(`this token may only access customer ${p.customerId}`);
    }
    return p.customerId;
  }
  return requested;
}

/** Names the operation for the audit row before authorisation runs, so denials carry the name too. */
export function operation(name: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.get("op").operation = name;
    await next();
  });
}
