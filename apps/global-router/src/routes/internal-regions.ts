import { apiError, REGION_ID_RE } from "@s3gw/core";
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { requireRegionSignature } from "../middleware/require-region-signature.ts";
import { parseInput } from "../validation.ts";

const paramsSchema = z.object({ id: z.string().regex(REGION_ID_RE, "region id must look like FI-HEL") });

/**
 * One region's place and gateways, for the regions only (signed): a region moving a customer
 * learns the target's country (its residency check) and where to send the data (directly:
 * the data itself never passes the router). From the topology this router was started with.
 */
export function internalRegionRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/internal/regions/:id", requireRegionSignature(deps), (c) => {
    const { id } = parseInput(paramsSchema, c.req.param(), "region id");
    const region = deps.regions.get(id);
    if (!region) throw apiError.notFound(`unknown region ${id}; known regions: ${deps.regions.ids().join(", ")}`);
    return c.json({ region_id: region.regionId, country: region.country, legal_zone: region.legalZone, endpoints: region.endpoints });
  });
  return app;
}
