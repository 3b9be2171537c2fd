import { describePrincipal, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import { createCustomerKey, createKeySchema, getCustomerKey, keysCursor, listCustomerKeys, listKeysQuery } from "../../services/keys/customer-keys.ts";
import { decodeCursor, encodeCursor, parseInput } from "../../services/paging.ts";
import { customerParam, KEY_MANAGER_ROLES, keyIdParam, keyManager } from "./customer-keys-params.ts";
import { jsonBody } from "./json-body.ts";

/** A customer's keys (KEKs): create, list, show. Answers and audit rows never carry key material. */
export function customerKeyRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/customers/:id/keys", operation("CreateCustomerKey"), requireRole(...KEY_MANAGER_ROLES), keyManager, async (c) => {
    const { deps, op, principal } = c.var;
    const id = customerParam(c);
    const body = parseInput(createKeySchema, await jsonBody(c, { emptyIsObject: true }), "body");
    const key = await createCustomerKey({ ctx: deps, input: { customerId: id, description: body.description, createdBy: describePrincipal(principal) } });
    op.info = { key_id: key.key_id, state: key.state, current_version: key.current_version };
    return c.json(key, 201);
  });

  r.get("/customers/:id/keys", operation("ListCustomerKeys"), requireRole(...READ_ROLES), async (c) => {
    const id = customerParam(c);
    const q = parseInput(listKeysQuery, c.req.query());
    const page = await listCustomerKeys({ ctx: c.var.deps, input: { customerId: id, limit: q.limit, after: decodeCursor(q.cursor, keysCursor) } });
    return c.json({ items: page.items, next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  r.get("/customers/:id/keys/:keyId", operation("DescribeCustomerKey"), requireRole(...READ_ROLES), async (c) => {
    const id = customerParam(c);
    const keyId = keyIdParam(c);
    return c.json(await getCustomerKey({ ctx: c.var.deps, input: { customerId: id, keyId } }));
  });

  return r;
}
