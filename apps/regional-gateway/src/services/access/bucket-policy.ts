import { compileBucketPolicy, isAppError, parseBucketPolicy, policyAccessKeyIds, s3Error, validateBucketPolicy, type BucketPolicyDocument, type CompiledPolicy } from "@s3gw/core";
import { accessKeys } from "@s3gw/schema-regional";
import { and, eq, inArray } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { Bucket } from "../objects/buckets.ts";
import { bucketSettingCacheKey } from "../cache/regional-cache.ts";
import { deleteBucketSetting, readBucketSetting, writeBucketSetting } from "../objects/bucket-settings.ts";

/**
 * The bucket_settings kind of a bucket policy. Its document is `{ text, document }`: the body as
 * PUT (GetBucketPolicy answers it byte for byte, as AWS does) and the validated
 * BucketPolicyDocument that is evaluated. Rows written before the text was kept hold the
 * validated document alone; their text is its JSON.
 */
export const POLICY_KIND = "policy";

/** A stored policy: what is evaluated, and the text the customer sent. */
export interface StoredBucketPolicy { document: BucketPolicyDocument; text: string }

type PolicyDeps = Pick<Deps, "db" | "cache" | "clock" | "logger">;

const scopeOf = (bucket: Bucket) => ({ customerId: bucket.customerId, bucket: bucket.bucketName });
const cacheKey = (bucket: Bucket) => bucketSettingCacheKey(bucket.customerId, bucket.bucketId, POLICY_KIND);

/**
 * Validates and stores a PutBucketPolicy body. Beyond the document's own rules (core/policy),
 * every access key it names as a principal must be one of this customer's keys: an id of
 * another customer's key under this customer's ARN is refused like any foreign principal.
 */
export async function putBucketPolicy(deps: PolicyDeps, bucket: Bucket, text: string): Promise<BucketPolicyDocument> {
  const scope = scopeOf(bucket);
  const doc = parseBucketPolicy(text, scope);
  const ids = policyAccessKeyIds(doc, scope);
  if (ids.length > 0) {
    const found = await deps.db
      .select({ id: accessKeys.accessKeyId })
      .from(accessKeys)
      .where(and(eq(accessKeys.customerId, bucket.customerId), inArray(accessKeys.accessKeyId, ids)));
    if (found.length !== ids.length) throw s3Error("MalformedPolicy", "Invalid principal in policy");
  }
  try {
    await writeBucketSetting(deps, bucket, POLICY_KIND, { text, document: doc });
  } finally {
    deps.cache.bucketPolicies.invalidate(cacheKey(bucket));
  }
  return doc;
}

/** The stored policy, re-validated for this bucket; a row that no longer validates is our fault (500), never applied half. */
export async function getBucketPolicy(deps: PolicyDeps, bucket: Bucket): Promise<BucketPolicyDocument | undefined> {
  return (await getStoredBucketPolicy(deps, bucket))?.document;
}

/** The stored policy with the text it was PUT as (GetBucketPolicy's answer). */
export async function getStoredBucketPolicy(deps: PolicyDeps, bucket: Bucket): Promise<StoredBucketPolicy | undefined> {
  const stored = await readBucketSetting(deps, bucket, POLICY_KIND);
  if (stored === null || stored === undefined) return undefined;
  const withText = typeof stored === "object" && "text" in stored && "document" in stored;
  try {
    const document = validateBucketPolicy(withText ? stored.document : stored, scopeOf(bucket));
    if (withText && typeof stored.text !== "string") throw s3Error("InternalError", "The stored policy text is not text");
    return { document, text: withText ? (stored.text as string) : JSON.stringify(document) };
  } catch (err) {
    if (!isAppError(err)) throw err;
    deps.logger.error({ bucket: bucket.bucketId, err: err.message }, "stored bucket policy does not validate");
    throw s3Error("InternalError", "The stored bucket policy could not be read", { cause: err });
  }
}

/**
 * The policy ready to evaluate, compiled once per change: cached with its absence, forgotten by
 * the same notifications as the document (no SQL and no compiling on the hot path while cached).
 */
export async function compiledBucketPolicy(deps: PolicyDeps, bucket: Bucket): Promise<CompiledPolicy | undefined> {
  const entry = await deps.cache.bucketPolicies.get(cacheKey(bucket), async () => {
    const doc = await getBucketPolicy(deps, bucket);
    return { policy: doc ? compileBucketPolicy(doc, scopeOf(bucket)) : null };
  });
  return entry?.policy ?? undefined;
}

export async function deleteBucketPolicy(deps: PolicyDeps, bucket: Bucket): Promise<boolean> {
  try {
    return await deleteBucketSetting(deps, bucket, POLICY_KIND);
  } finally {
    deps.cache.bucketPolicies.invalidate(cacheKey(bucket));
  }
}
