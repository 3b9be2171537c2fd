import { AppError, apiError, bucketNameProblem, CUSTOMER_ID_RE } from "@s3gw/core";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { requireRegionSignature } from "../middleware/require-region-signature.ts";
import { parseInput } from "../validation.ts";

const MAX_BODY_BYTES = 1024;

const paramsSchema = z.object({
  bucket: z.string().refine((name) => bucketNameProblem(name) === undefined, "bucket name is not a valid S3 bucket name"),
});
const bodySchema = z.strictObject({ customer_id: z.string().regex(CUSTOMER_ID_RE, "customer_id is malformed") });

function parseBody(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw apiError.badRequest("request body must be JSON");
  }
  return parseInput(bodySchema, json, "body").customer_id;
}

const limit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError("PAYLOAD_TOO_LARGE", 413, `request body must be at most ${MAX_BODY_BYTES} bytes`);
  },
});

/**
 * Public bucket name → customer, registered by the customer's home region when its compliance
 * rule opens the bucket to anonymous reads. A name held by another customer is a 409: the
 * region refuses the rule change with it.
 */
export function internalPublicBucketRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const signed = requireRegionSignature(deps);
  const bucketOf = (c: Context<AppEnv>) => parseInput(paramsSchema, c.req.param(), "bucket").bucket;

  app.put("/internal/public-buckets/:bucket", limit, signed, async (c) => {
    const bucket = bucketOf(c);
    const customerId = parseBody(await c.req.text());
    const outcome = await (async () => {
      if (!(await deps.routing.resolve(customerId))) return "unrouted" as const;
      return deps.publicBucketStore.put(bucket, customerId);
    })().catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    if (outcome === "unrouted") throw apiError.conflict(`customer ${customerId} is not routed; register its routing first`);
    if (outcome === "conflict") throw apiError.conflict(`the public bucket name ${bucket} is taken by another customer; public bucket names are unique across customers`);
    deps.publicBuckets.set(bucket, customerId);
    c.get("logger").info({ bucket, customerId, outcome }, "public bucket registered");
    return c.json({ bucket, customer_id: customerId }, outcome === "created" ? 201 : 200);
  });

  app.delete("/internal/public-buckets/:bucket", limit, signed, async (c) => {
    const bucket = bucketOf(c);
    const customerId = parseBody(await c.req.text());
    const removed = await deps.publicBucketStore.remove(bucket, customerId).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    // Forgotten either way: a miss asks the database, which still names whoever else holds it.
    deps.publicBuckets.delete(bucket);
    c.get("logger").info({ bucket, customerId, removed }, "public bucket unregistered");
    // Idempotent, so a region can retry a removal whose answer it did not see.
    return c.body(null, 204);
  });

  return app;
}
