import { apiError, CUSTOMER_ID_RE, type Role } from "@s3gw/core";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";
import { scopeCustomer } from "../../middleware/auth.ts";
import { KEY_ID_RE } from "../../services/keys/key-store.ts";

export const KEY_MANAGER_ROLES: readonly Role[] = ["admin", "compliance_officer"];

/**
 * As for access keys: admins, or a compliance officer acting for that customer (a
 * customer-scoped token). A region-wide compliance officer handles compliance, not keys.
 */
export const keyManager = createMiddleware<AppEnv>(async (c, next) => {
  const p = c.var.principal;
  if (p.role !== "admin" && !p.customerId) throw apiError.forbidden(`a region-wide ${p.role} token may not manage customer keys; use an admin token or a token scoped to the customer`);
  await next();
});

/** The path's customer, narrowed to a scoped token's own and recorded on the audit row. */
export function customerParam(c: Context<AppEnv>): string {
  const raw = c.req.param("id") ?? "";
  if (!CUSTOMER_ID_RE.test(raw)) throw apiError.badRequest("customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  const id = scopeCustomer(c, raw)!;
  c.var.op.customerId = id;
  return id;
}

/** The path's key id (a UUID), recorded on the audit row. */
export function keyIdParam(c: Context<AppEnv>): string {
  const raw = c.req.param("keyId") ?? "";
  if (!KEY_ID_RE.test(raw)) throw apiError.badRequest("key id must be a lowercase UUID");
  c.var.op.info = { key_id: raw };
  return raw;
}

