import { ADMIN_ONLY, apiError, CUSTOMER_ID_RE, describePrincipal, READ_ROLES, type Role } from "@s3gw/core";
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
  listAccessKeys,
  listAccessKeysQuery,
  rotateMasterKey,
  setAccessKeyStatus,
  updateAccessKeySchema,
} from "../../services/access-keys.ts";
import { decodeCursor, encodeCursor, parseInput } from "../../services/paging.ts";

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

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw apiError.badRequest("request body must be JSON");
  }
}

/** S3 access keys per customer. The secret is in the creation answer only; it is never listed or logged. */
export function accessKeyRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/customers/:id/access-keys", operation("CreateAccessKey"), requireRole(...MANAGER_ROLES), keyManager, async (c) => {
    const { deps, op, principal } = c.var;
    const id = customerParam(c);
    const body = parseInput(createAccessKeySchema, await jsonBody(c), "body");
    const { key, secret, registered } = await createAccessKey(deps, id, body, describePrincipal(principal));
    op.info = { access_key_id: key.access_key_id, permission: key.permission, allowed_buckets: key.allowed_buckets, registered_with_router: registered };
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
    const body = parseInput(updateAccessKeySchema, await jsonBody(c), "body");
    c.var.op.info = { access_key_id: akid, status: body.status };
    return c.json(await setAccessKeyStatus(c.var.deps, id, akid, body.status));
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
