import { and, eq } from "drizzle-orm";
import { bucketSettings } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import { bucketSettingCacheKey } from "../cache/regional-cache.ts";
import type { Bucket } from "./buckets.ts";

/**
 * The one reader and writer of `bucket_settings` (one document per bucket and kind: cors,
 * policy, tagging, ...). Reads go through the instance's cache, absence included: a write
 * notifies every instance (the table's trigger) and this one forgets at once. Each kind's
 * service validates its document before writing and after reading; this file only stores it.
 */
type SettingsDeps = Pick<Deps, "db" | "cache" | "clock">;

export async function readBucketSetting(deps: SettingsDeps, bucket: Bucket, kind: string): Promise<unknown> {
  const load = async () => {
    const [row] = await deps.db
      .select({ document: bucketSettings.document })
      .from(bucketSettings)
      .where(and(eq(bucketSettings.bucketId, bucket.bucketId), eq(bucketSettings.kind, kind)))
      .limit(1);
    return { document: row?.document ?? null };
  };
  const cached = await deps.cache.bucketSettings.get(bucketSettingCacheKey(bucket.customerId, bucket.bucketId, kind), load);
  return cached?.document ?? null;
}

/** Inserts or replaces the bucket's document of `kind`; a bucket deleted meanwhile is the caller's NoSuchBucket (foreign key). */
export async function writeBucketSetting(deps: SettingsDeps, bucket: Bucket, kind: string, document: unknown): Promise<void> {
  const now = deps.clock.now();
  try {
    await deps.db
      .insert(bucketSettings)
      .values({ bucketId: bucket.bucketId, customerId: bucket.customerId, kind, document, updatedAt: now })
      .onConflictDoUpdate({ target: [bucketSettings.bucketId, bucketSettings.kind], set: { document, updatedAt: now } });
  } finally {
    deps.cache.bucketSettings.invalidate(bucketSettingCacheKey(bucket.customerId, bucket.bucketId, kind));
  }
}

/** Removes the document; true if there was one. */
export async function deleteBucketSetting(deps: SettingsDeps, bucket: Bucket, kind: string): Promise<boolean> {
  try {
    const removed = await deps.db
      .delete(bucketSettings)
      .where(and(eq(bucketSettings.bucketId, bucket.bucketId), eq(bucketSettings.kind, kind)))
      .returning({ kind: bucketSettings.kind });
    return removed.length > 0;
  } finally {
    deps.cache.bucketSettings.invalidate(bucketSettingCacheKey(bucket.customerId, bucket.bucketId, kind));
  }
}
