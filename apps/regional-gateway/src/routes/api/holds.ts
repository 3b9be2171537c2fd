import { apiError, COMPLIANCE_ROLES, describePrincipal, READ_ROLES } from "@s3gw/core";
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { bucketField, customerIdField, holdSchema, liftHold, listHolds, placeHold } from "../../services/compliance/holds.ts";

export const listQuery = z.strictObject({
  customer_id: customerIdField.optional(),
  bucket: bucketField.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(4096).optional(),
});

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (!r.success) throw apiError.badRequest(r.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`).join("; "));
  return r.data;
}

async function holdBody(c: Context<AppEnv>) {
  const body = parse(holdSchema, await c.req.json().catch(() => undefined), "body");
  scopeCustomer(c, body.customer_id);
  const { op } = c.var;
  op.customerId = body.customer_id;
  op.bucket = body.bucket;
  op.key = body.key;
  return body;
}

/** Legal holds with a reason, placed and lifted by compliance officers; listed with retentions for auditors. */
export function holdRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.put("/", operation("PlaceLegalHold"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op, principal } = c.var;
    const body = await holdBody(c);
    const { before, hold } = await placeHold(deps.db, body, describePrincipal(principal), deps.clock.now());
    op.info = { version_id: hold.version_id, by_version_id: body.version_id !== undefined, reason: body.reason, previously_held: before.legalHold, previous_reason: before.legalHold ? before.legalHoldReason : null };
    return c.json(hold);
  });

  r.delete("/", operation("LiftLegalHold"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const { deps, op, principal } = c.var;
    const body = await holdBody(c);
    const { before, hold } = await liftHold(deps.db, body, describePrincipal(principal), deps.clock.now());
    op.info = { version_id: hold.version_id, by_version_id: body.version_id !== undefined, reason: body.reason, hold_reason: before.legalHoldReason, hold_set_by: before.legalHoldSetBy };
    return c.json(hold);
  });

  r.get("/", operation("ListLegalHolds"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parse(listQuery, c.req.query(), "query");
    const customerId = scopeCustomer(c, q.customer_id);
    if (q.bucket && !customerId) throw apiError.badRequest("bucket: needs customer_id (bucket names are per customer)");
    if (customerId) op.customerId = customerId;
    const page = await listHolds(deps.db, { customerId, bucket: q.bucket, limit: q.limit, cursor: q.cursor }, deps.clock.now());
    op.info = { returned: page.items.length };
    return c.json(page);
  });

  return r;
}
