import { s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { checkBucketPlacement, placementOf } from "../../services/objects/bucket-location.ts";

// An empty document (`<CreateBucketConfiguration/>`) parses as "".
const configSchema = z.strictObject({
  CreateBucketConfiguration: z.union([z.literal(""), z.strictObject({ LocationConstraint: z.string().max(64).optional() })]),
});

/**
 * The CreateBucketConfiguration of a CreateBucket: a bucket asked to live elsewhere is refused
 * (see checkBucketPlacement). True when the document named this region as the location.
 */
export async function checkLocationConstraint(c: Context<AppEnv>, bucket: string, doc: Record<string, unknown>): Promise<boolean> {
  const { "?xml": _declaration, ...root } = doc;
  const parsed = configSchema.safeParse(root);
  if (!parsed.success) throw s3Error("MalformedXML");
  const config = parsed.data.CreateBucketConfiguration;
  const constraint = config === "" ? undefined : config.LocationConstraint;
  const placement = placementOf(constraint, c.var.deps.config.region);
  if (placement.kind !== "home") c.var.op.info = { ...c.var.op.info, location_constraint: placement.name };
  await checkBucketPlacement(c.var.deps, c.var.customer, bucket, placement);
  return placement.kind === "home" && placement.named;
}
