import { AppError, apiError, CUSTOMER_ID_RE } from "@s3gw/core";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { requireRegionSignature } from "../middleware/require-region-signature.ts";
import { ACCESS_KEY_ID_RE } from "../routing/access-keys.ts";
import { parseInput } from "../validation.ts";

const MAX_BODY_BYTES = 1024;

const paramsSchema = z.object({ akid: z.string().regex(ACCESS_KEY_ID_RE, "access key id must be 16-128 characters of A-Z and 0-9") });
const putBodySchema = z.strictObject({ customer_id: z.string().regex(CUSTOMER_ID_RE, "customer_id is malformed") });

function parseBody(text: string): z.infer<typeof putBodySchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw apiError.badRequest("request body must be JSON");
  }
  return parseInput(putBodySchema, json, "body");
}

const limit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError("PAYLOAD_TOO_LARGE", 413, `request body must be at most ${MAX_BODY_BYTES} bytes`);
  },
});

/** access key id → customer, registered by the key's home region (never the secret). */
export function internalAccessKeyRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const signed = requireRegionSignature(deps);
  const akidOf = (c: Context<AppEnv>) => parseInput(paramsSchema, c.req.param(), "access key id").akid;

  app.put("/internal/access-keys/:akid", limit, signed, async (c) => {
    const akid = akidOf(c);
    const { customer_id: customerId } = parseBody(await c.req.text());
    const outcome = await (async () => {
      // A key may only point at a routed customer, or it would route nowhere.
      if (!(await deps.routing.resolve(customerId))) return "unrouted" as const;
      return deps.accessKeyStore.put(akid, customerId);
    })().catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    if (outcome === "unrouted") throw apiError.conflict(`customer ${customerId} is not routed; register its routing first`);
    if (outcome === "conflict") throw apiError.conflict(`access key ${akid} belongs to another customer`);
    deps.accessKeys.set(akid, customerId);
    c.get("logger").info({ accessKeyId: akid, customerId, outcome }, "access key routing registered");
    return c.json({ access_key_id: akid, customer_id: customerId }, outcome === "created" ? 201 : 200);
  });

  app.delete("/internal/access-keys/:akid", limit, signed, async (c) => {
    const akid = akidOf(c);
    const removed = await deps.accessKeyStore.remove(akid).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    deps.accessKeys.delete(akid);
    c.get("logger").info({ accessKeyId: akid, removed }, "access key routing removed");
    // Idempotent, so a region can retry a delete whose answer it did not see.
    return c.body(null, 204);
  });

  return app;
}
