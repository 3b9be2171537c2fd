import { ADMIN_ONLY, apiError, CUSTOMER_ID_RE, READ_ROLES } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { customerUsage, customerView, findCustomer, registerCustomer, registrationProblem, registrationSchema } from "../../services/access/customers.ts";
import { confirmHomedHere } from "../../services/access/home-region.ts";
import { customerListCursor, customerListQuery, listCustomers } from "../../services/access/customer-list.ts";
import { decodeCursor, encodeCursor, parseInput } from "../../services/paging.ts";

function customerIdParam(raw: string): string {
  if (!CUSTOMER_ID_RE.test(raw)) throw apiError.badRequest("customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  return raw;
}

/** Listing, registration and profile of customers homed in this region: the regional half of the seed's two-step sign-up. */
export function customerRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/", operation("ListCustomers"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const q = parseInput(customerListQuery, c.req.query());
    // A customer-scoped token lists only its own customer.
    const onlyCustomerId = scopeCustomer(c, undefined);
    if (onlyCustomerId) op.customerId = onlyCustomerId;
    const page = await listCustomers(deps.db, {
      regionId: deps.config.region.region_id,
      onlyCustomerId,
      residency: q.residency,
      country: q.country,
      q: q.q,
      limit: q.limit,
      after: decodeCursor(q.cursor, customerListCursor),
    });
    return c.json({ items: page.items, next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  r.post("/:id/register", operation("RegisterCustomer"), requireRole(...ADMIN_ONLY), async (c) => {
    const { deps, op } = c.var;
    const id = customerIdParam(c.req.param("id"));
    op.customerId = id;
    const body = registrationSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw apiError.badRequest(body.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
    // Coherence first (no network), then the router's word that the customer is homed here.
    const problem = registrationProblem(deps.config.region, body.data);
    if (problem) throw apiError.badRequest(problem);
    const { confirmedBy } = await confirmHomedHere(deps, id);
    op.info = { home_confirmed_by: confirmedBy };
    const customer = await registerCustomer(deps.db, deps.config.region, id, body.data);
    return c.json({ status: "registered", customer: customerView(customer) }, 201);
  });

  r.get("/:id/info", operation("GetCustomerInfo"), requireRole(...READ_ROLES), async (c) => {
    const { deps, op } = c.var;
    const id = scopeCustomer(c, customerIdParam(c.req.param("id")))!;
    op.customerId = id;
    const customer = await findCustomer(deps.db, id);
    if (!customer) throw apiError.notFound(`customer ${id} is not registered in region ${deps.config.region.region_id}`);
    return c.json({ ...customerView(customer), usage: await customerUsage(deps.db, id) });
  });

  return r;
}
