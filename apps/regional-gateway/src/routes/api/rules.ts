import { apiError, COMPLIANCE_ROLES, CUSTOMER_ID_RE, READ_ROLES } from "@s3gw/core";
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { findCustomer } from "../../services/access/customers.ts";
import { registerPublicBuckets, unregisterPublicBuckets } from "../../services/access/public-bucket-registration.ts";
import { parseInput } from "../../services/paging.ts";
import { loadRules, rulesBodySchema, rulesFromBody, rulesView, saveRules } from "../../services/compliance/rules.ts";

async function registeredCustomer(c: Context<AppEnv>): Promise<string> {
  const raw = c.req.param("id") ?? "";
  if (!CUSTOMER_ID_RE.test(raw)) throw apiError.badRequest("customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  const id = scopeCustomer(c, raw)!;
  c.var.op.customerId = id;
  const { deps } = c.var;
  if (!(await findCustomer(deps.db, id))) throw apiError.notFound(`customer ${id} is not registered in region ${deps.config.region.region_id}`);
  return id;
}

/**
 * A customer's compliance rules, enforced on its S3 reads and writes. PUT replaces the
 * whole rule set (every field required); null / false turns a rule off.
 */
export function rulesRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/:id/rules", operation("GetComplianceRules"), requireRole(...READ_ROLES), async (c) => {
    const id = await registeredCustomer(c);
    return c.json({ customer_id: id, rules: rulesView(await loadRules(c.var.deps.db, id)) });
  });

  r.put("/:id/rules", operation("PutComplianceRules"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const id = await registeredCustomer(c);
    const body = parseInput(rulesBodySchema, await c.req.json().catch(() => undefined), "body");
    const rules = rulesFromBody(body);
    // Claimed at the router first: a name another customer holds refuses the whole change (409).
    await registerPublicBuckets(c.var.deps, id, rules.publicReadBuckets);
    const changed = await saveRules(c.var.deps, id, rules);
    const dropped = ((changed.public_read_buckets?.from ?? []) as string[]).filter((b) => !rules.publicReadBuckets.includes(b));
    const unreleased = await unregisterPublicBuckets(c.var.deps, id, dropped);
    c.var.op.info = { changed, ...(unreleased.length > 0 ? { public_buckets_not_released: unreleased } : {}) };
    return c.json({ customer_id: id, rules: rulesView(rules), changed: Object.keys(changed) });
  });

  return r;
}
