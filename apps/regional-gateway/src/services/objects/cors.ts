import { CORS_METHODS, isAppError, MAX_CORS_RULES, type CorsRule } from "@s3gw/core";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { findBucket, type Bucket } from "./buckets.ts";
import { deleteBucketSetting, readBucketSetting, writeBucketSetting } from "./bucket-settings.ts";

/** The bucket_settings kind of a bucket's CORS configuration. */
export const CORS_KIND = "cors";

/** The stored shape: the rules as `parseCorsConfiguration` validated them, read back through the same bounds. */
const storedRules = z
  .array(
    z.object({
      id: z.string().max(255).optional(),
      allowedOrigins: z.array(z.string().min(1)).min(1),
      allowedMethods: z.array(z.enum(CORS_METHODS)).min(1),
      allowedHeaders: z.array(z.string()),
      exposeHeaders: z.array(z.string()),
      maxAgeSeconds: z.number().int().nonnegative().optional(),
    }),
  )
  .min(1)
  .max(MAX_CORS_RULES);

type CorsDeps = Pick<Deps, "db" | "cache" | "clock">;

/** The bucket's CORS rules, or null when it has none (cached; read on every request that carries an Origin). */
export async function getCorsRules(deps: CorsDeps, bucket: Bucket): Promise<CorsRule[] | null> {
  const doc = await readBucketSetting(deps, bucket, CORS_KIND);
  return doc === null ? null : (storedRules.parse(doc) as CorsRule[]);
}

export function putCorsRules(deps: CorsDeps, bucket: Bucket, rules: CorsRule[]): Promise<void> {
  return writeBucketSetting(deps, bucket, CORS_KIND, storedRules.parse(rules));
}

export function deleteCorsRules(deps: CorsDeps, bucket: Bucket): Promise<boolean> {
  return deleteBucketSetting(deps, bucket, CORS_KIND);
}

/**
 * The rules for a customer's bucket by name, null when the bucket has none or does not exist:
 * a CORS decision never tells a missing bucket from one without CORS.
 */
export async function corsRulesByName(deps: CorsDeps, customerId: string, bucketName: string): Promise<CorsRule[] | null> {
  let bucket: Bucket;
  try {
    bucket = await findBucket(deps, customerId, bucketName);
  } catch (err) {
    if (isAppError(err) && (err.code === "NoSuchBucket" || err.code === "InvalidBucketName")) return null;
    throw err;
  }
  return getCorsRules(deps, bucket);
}
