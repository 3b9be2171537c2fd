import { apiError, CUSTOMER_ID_RE, REGION_ID_RE } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { requireAdmin } from "../middleware/require-admin.ts";
import { listRoutes, unrouteCustomer } from "../routing/unroute.ts";
import { parseInput } from "../validation.ts";

const paramsSchema = z.object({ id: z.string().regex(CUSTOMER_ID_RE, "customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit") });
export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().regex(CUSTOMER_ID_RE, "cursor is malformed").optional(),
  region: z.string().regex(REGION_ID_RE, "region must look like FI-HEL").optional(),
});

/**
 * The routing map for operators: list it (admin, keyset-paged by customer id, by region) and
 * unroute a customer (admin; a region offboarding one uses /internal, internal-unroute.ts).
 */
export function routingAdminRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = requireAdmin(deps.config.adminToken);

  app.get("/routing/customers", admin, async (c) => {
    const q = parseInput(listQuerySchema, c.req.query(), "query");
    if (q.region !== undefined && !deps.regions.get(q.region)) throw apiError.badRequest(`unknown region ${q.region}; known regions: ${deps.regions.ids().join(", ")}`);
    const page = await listRoutes(deps.db, { limit: q.limit, after: q.cursor, regionId: q.region }).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    return c.json(page);
  });

  app.delete("/routing/customers/:id", admin, async (c) => {
    const { id } = parseInput(paramsSchema, c.req.param(), "customer id");
    const done = await unrouteCustomer(deps, id).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    c.get("logger").info({ customerId: id, by: "admin", ...done }, "customer unrouted");
    if (!done.routed) throw apiError.notFound(`customer ${id} is not routed`);
    return c.json({ customer_id: id, ...done });
  });

  return app;
}
