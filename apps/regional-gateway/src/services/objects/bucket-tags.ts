import { s3Error } from "@s3gw/core";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import { deleteBucketSetting, readBucketSetting, writeBucketSetting } from "./bucket-settings.ts";
import { validateTags } from "./tags.ts";

const KIND = "tagging";
/** S3's bucket-tag limit (objects have 10). Key, value and character limits are the objects' (validateTags). */
export const MAX_BUCKET_TAGS = 50;
/** Key and value pairs, in the order they were sent (a jsonb object would sort its keys). */
export type TagPairs = [string, string][];
const documentSchema = z.strictObject({ tags: z.array(z.tuple([z.string(), z.string()])) });

/**
 * A bucket's tag set, validated as S3 validates PutBucketTagging: at most 50 tags, each key
 * and value as for object tags, no key twice, and none in the reserved `aws:` namespace.
 */
export function validateBucketTags(pairs: TagPairs): TagPairs {
  if (pairs.length > MAX_BUCKET_TAGS) throw s3Error("InvalidTag", `Bucket tag count cannot be greater than ${MAX_BUCKET_TAGS}`);
  const keys = new Set<string>();
  for (const [key, value] of pairs) {
    validateTags([[key, value]]);
    if (key.toLowerCase().startsWith("aws:")) throw s3Error("InvalidTag", "System tags cannot be added/updated by requester");
    if (keys.has(key)) throw s3Error("InvalidTag", "Cannot provide multiple Tags with the same key");
    keys.add(key);
  }
  return pairs;
}

/** The bucket's tags; undefined when it has none (S3's NoSuchTagSet). */
export async function getBucketTags(deps: Deps, bucket: Bucket): Promise<TagPairs | undefined> {
  const stored = await readBucketSetting(deps, bucket, KIND);
  if (stored === null) return undefined;
  // Written only by putBucketTags; a document that does not parse is damage, not input.
  return documentSchema.parse(stored).tags;
}

/** Replaces the tag set, as S3's PUT does; an empty set leaves the bucket without tags. */
export async function putBucketTags(deps: Deps, bucket: Bucket, tags: TagPairs): Promise<void> {
  if (tags.length === 0) await deleteBucketSetting(deps, bucket, KIND);
  else await writeBucketSetting(deps, bucket, KIND, { tags });
}

export function deleteBucketTags(deps: Deps, bucket: Bucket): Promise<boolean> {
  return deleteBucketSetting(deps, bucket, KIND);
}
