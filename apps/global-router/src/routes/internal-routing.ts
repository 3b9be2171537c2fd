import { apiError, CUSTOMER_ID_RE } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { requireRegionSignature } from "../middleware/require-region-signature.ts";
import { parseInput } from "../validation.ts";

const paramsSchema = z.object({ id: z.string().regex(CUSTOMER_ID_RE, "customer id is malformed") });

/**
 * Where a customer is homed, for the regions only (signed like /internal/access-keys): a
 * region registers a customer's profile only when the router homes that customer there.
 * Answered from the routing cache, so it keeps working while the global database is away.
 */
export function internalRoutingRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/internal/routing/customers/:id", requireRegionSignature(deps), async (c) => {
    const { id } = parseInput(paramsSchema, c.req.param(), "customer id");
    const regionId = await deps.routing.resolve(id).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    if (!regionId) throw apiError.notFound(`customer ${id} is not routed`);
    return c.json({ customer_id: id, primary_region: regionId });
  });
  return app;
}
