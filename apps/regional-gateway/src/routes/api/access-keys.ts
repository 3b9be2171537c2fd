import { ADMIN_ONLY, apiError, CUSTOMER_ID_RE, describePrincipal, mayGrantWrites, type Principal, READ_ROLES, type Role } from "@s3gw/core";
import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import {
  ACCESS_KEY_ID_RE,
  accessKeysCursor,
  createAccessKey,
  createAccessKeySchema,
  deleteAccessKey,
  findAccessKey,
  listAccessKeys,
  listAccessKeysQuery,
  rotateMasterKey,
  updateAccessKey,
  updateAccessKeySchema,
  type AccessKeyPermission,
} from "../../services/access/access-keys.ts";
import { decodeCursor, encodeCursor, parseInput } from "../../services/paging.ts";
import { jsonBody } from "./json-body.ts";

const MANAGER_ROLES: readonly Role[] = ["admin", "compliance_officer"];

/**
 * Managing a customer's keys: admins, or a compliance officer acting for that customer
 * (a customer-scoped token). A region-wide compliance officer handles compliance, not credentials.
 */
const keyManager = createMiddleware<AppEnv>(async (c, next) => {
  const p = c.var.principal;
  if (p.role !== "admin" && !p.customerId) throw apiError.forbidden(`a region-wide ${p.role} token may not manage access keys; use an admin token or a token scoped to the customer`);
  await next();
});

function customerParam(c: Context<AppEnv>): string {
  const raw = c.req.param("id") ?? "";
  if (!CUSTOMER_ID_RE.test(raw)) throw apiError.badRequest("customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  const id = scopeCustomer(c, raw)!;
  c.var.op.customerId = id;
  return id;
}

function keyParam(c: Context<AppEnv>): string {
  const raw = c.req.param("akid") ?? "";
  if (!ACCESS_KEY_ID_RE.test(raw)) throw apiError.badRequest("access key id must be S3GW followed by 16 characters of A-Z and 2-7");
  c.var.op.info = { access_key_id: raw };
  return raw;
}

/**
 * Separation of duties: only admins grant writes. An officer's key is read-only (the default
 * when it names no permission) and never bypasses GOVERNANCE retention.
 */
function grantedPermission(p: Principal, requested: AccessKeyPermission | undefined, bypass: boolean): AccessKeyPermission {
  if (mayGrantWrites(p)) return requested ?? "read-write";
  if (requested === "read-write") throw apiError.forbidden(`a ${p.role} may create only read-only access keys; keys that can write are created by an admin`);
  if (bypass) throw apiError.forbidden("only an admin may grant bypass_governance");
  return "read-only";
}

/** S3 access keys per customer. The secret is in the creation answer only; it is never listed or logged. */
export function accessKeyRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/customers/:id/access-keys", operation("CreateAccessKey"), requireRole(...MANAGER_ROLES), keyManager, async (c) => {
    const { deps, op, principal } = c.var;
    const id = customerParam(c);
    const body = parseInput(createAccessKeySchema, await jsonBody(c, { emptyIsObject: true }), "body");
    const permission = grantedPermission(principal, body.permission, body.bypass_governance);
    const { key, secret, registered } = await createAccessKey(deps, id, { ...body, permission }, describePrincipal(principal));
    op.info = {
      access_key_id: key.access_key_id,
      permission: key.permission,
      allowed_buckets: key.allowed_buckets,
      bypass_governance: key.bypass_governance,
      registered_with_router: registered,
    };
    return c.json({ ...key, secret_access_key: secret }, 201);
  });

  r.get("/customers/:id/access-keys", operation("ListAccessKeys"), requireRole(...READ_ROLES), async (c) => {
    const id = customerParam(c);
    const q = parseInput(listAccessKeysQuery, c.req.query());
    const page = await listAccessKeys(c.var.deps, id, { limit: q.limit, after: decodeCursor(q.cursor, accessKeysCursor) });
    return c.json({ items: page.items, next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  r.patch("/customers/:id/access-keys/:akid", operation("UpdateAccessKey"), requireRole(...MANAGER_ROLES), keyManager, async (c) => {
    const id = customerParam(c);
    const akid = keyParam(c);
    const body = parseInput(updateAccessKeySchema, await jsonBody(c, { emptyIsObject: true }), "body");
    const { principal } = c.var;
    c.var.op.info = { access_key_id: akid, ...(body.status ? { status: body.status } : {}), ...(body.bypass_governance !== undefined ? { bypass_governance: body.bypass_governance } : {}) };
    if (!mayGrantWrites(principal)) {
      if (body.bypass_governance !== undefined) throw apiError.forbidden("only an admin may change bypass_governance");
      // Re-enabling a key that can write would hand write access back: an admin's decision.
      if (body.status === "active" && (await findAccessKey(c.var.deps, id, akid)).permission !== "read-only") {
        throw apiError.forbidden(`a ${principal.role} may enable only read-only access keys`);
      }
    }
    return c.json(await updateAccessKey(c.var.deps, id, akid, body));
  });

  r.delete("/customers/:id/access-keys/:akid", operation("DeleteAccessKey"), requireRole(...MANAGER_ROLES), keyManager, async (c) => {
    const id = customerParam(c);
    const akid = keyParam(c);
    const { unregistered } = await deleteAccessKey(c.var.deps, id, akid);
    c.var.op.info = { access_key_id: akid, unregistered_from_router: unregistered };
    return c.body(null, 204);
  });

  r.post("/access-keys/rotate-master-key", operation("RotateMasterKey"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op, principal } = c.var;
    if (principal.customerId) throw apiError.forbidden("the master key belongs to the region: a customer-scoped token may not rotate it");
    const result = await rotateMasterKey(deps);
    op.info = { active_key_id: result.active_key_id, re_encrypted: result.re_encrypted, unreadable: result.unreadable.length };
    return c.json(result);
  });

  return r;
}
