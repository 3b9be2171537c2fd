import { AppError, apiError, CUSTOMER_ID_RE, REGION_ID_RE } from "@s3gw/core";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { requireRegionSignature } from "../middleware/require-region-signature.ts";
import { moveCustomerRoute } from "../routing/move.ts";
import { parseInput } from "../validation.ts";

const MAX_BODY_BYTES = 1024;
const paramsSchema = z.object({ id: z.string().regex(CUSTOMER_ID_RE, "customer id is malformed") });
const bodySchema = z.strictObject({
  from_region: z.string().regex(REGION_ID_RE, "from_region must look like FI-HEL"),
  to_region: z.string().regex(REGION_ID_RE, "to_region must look like FI-HEL"),
});

const limit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError("PAYLOAD_TOO_LARGE", 413, `request body must be at most ${MAX_BODY_BYTES} bytes`);
  },
});

/**
 * A region move's switch (regions only, signed): the source region asks to hand its customer
 * to the target. Compare-and-set on the current region (routing/move.ts); the data never comes here.
 */
export function internalRoutingMoveRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/internal/routing/customers/:id/move", limit, requireRegionSignature(deps), async (c) => {
    const { id } = parseInput(paramsSchema, c.req.param(), "customer id");
    let json: unknown;
    try {
      json = JSON.parse(await c.req.text());
    } catch {
      throw apiError.badRequest("request body must be JSON");
    }
    const body = parseInput(bodySchema, json, "body");
    if (!deps.regions.get(body.from_region)) throw apiError.badRequest(`unknown region ${body.from_region}`);
    const done = await moveCustomerRoute(deps, { customerId: id, from: body.from_region, to: body.to_region }).catch((err: unknown) => {
      if (err instanceof AppError) throw err;
      throw databaseUnavailable(err);
    });
    c.get("logger").info({ customerId: id, from: body.from_region, to: body.to_region, switched: done.switched }, "customer routing moved");
    return c.json({ customer_id: id, primary_region: body.to_region, previous_region: body.from_region, switched: done.switched });
  });
  return app;
}
