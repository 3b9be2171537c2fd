import { AppError, apiError, CUSTOMER_ID_RE, REGION_ID_RE } from "@s3gw/core";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { requireRegionSignature } from "../middleware/require-region-signature.ts";
import { unrouteCustomer } from "../routing/unroute.ts";
import { parseInput } from "../validation.ts";

const MAX_BODY_BYTES = 1024;
const paramsSchema = z.object({ id: z.string().regex(CUSTOMER_ID_RE, "customer id is malformed") });
/** The calling region names itself in the signed body. */
const bodySchema = z.strictObject({ calling_region: z.string().regex(REGION_ID_RE, "calling_region must look like FI-HEL") });

const limit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError("PAYLOAD_TOO_LARGE", 413, `request body must be at most ${MAX_BODY_BYTES} bytes`);
  },
});

/**
 * A region offboarding one of its customers unroutes it here (signed). Only the customer's home
 * region may: another region's call is refused with 403 and logged in the routing log.
 * Idempotent for the home region, which retries an unroute whose answer it did not see.
 */
export function internalUnrouteRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.delete("/internal/routing/customers/:id", limit, requireRegionSignature(deps), async (c) => {
    const { id } = parseInput(paramsSchema, c.req.param(), "customer id");
    let json: unknown;
    try {
      json = JSON.parse(await c.req.text());
    } catch {
      throw apiError.badRequest('request body must be JSON naming the calling region: {"calling_region": "FI-HEL"}');
    }
    const { calling_region: caller } = parseInput(bodySchema, json, "body");
    if (!deps.regions.get(caller)) throw apiError.badRequest(`unknown region ${caller}`);
    const done = await unrouteCustomer(deps, id, caller).catch((err: unknown) => {
      if (err instanceof AppError && err.status === 403) c.get("logger").warn({ customerId: id, caller }, "unroute refused: the customer is routed to another region");
      throw databaseUnavailable(err);
    });
    c.get("logger").info({ customerId: id, by: caller, ...done }, "customer unrouted");
    return c.json({ customer_id: id, ...done });
  });
  return app;
}
