import { eq } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { buckets } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import { bucketCacheKey } from "../cache/regional-cache.ts";
import type { Bucket } from "./buckets.ts";

export type VersioningStatus = "Enabled" | "Suspended";

/**
 * PutBucketVersioning's rules: the state only moves between Enabled and Suspended (a bucket
 * never returns to unversioned), and a bucket with object lock stays Enabled (S3's 409
 * InvalidBucketState). MFA Delete needs an MFA device this gateway does not have: refused.
 */
export async function setBucketVersioning(
  deps: Pick<Deps, "db" | "cache">,
  bucket: Bucket,
  change: { status: VersioningStatus | undefined; mfaDelete: "Enabled" | "Disabled" | undefined },
): Promise<{ before: Bucket["versioning"] }> {
  if (change.mfaDelete === "Enabled") throw s3Error("InvalidRequest", "MFA Delete is not supported by this gateway (it needs an MFA device)");
  if (change.status === undefined) return { before: bucket.versioning };
  return deps.db.transaction(async (tx) => {
    const [row] = await tx.select({ versioning: buckets.versioning, objectLockEnabled: buckets.objectLockEnabled }).from(buckets)
      .where(eq(buckets.bucketId, bucket.bucketId)).for("update");
    if (!row) throw s3Error("NoSuchBucket", undefined, { resource: bucket.bucketName });
    if (row.objectLockEnabled && change.status === "Suspended") {
      throw s3Error("InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.", { resource: bucket.bucketName });
    }
    await tx.update(buckets).set({ versioning: change.status }).where(eq(buckets.bucketId, bucket.bucketId));
    // This instance forgets the cached row at once; others learn it from the row's notification.
    deps.cache?.buckets.invalidate(bucketCacheKey(bucket.customerId, bucket.bucketName));
    return { before: row.versioning };
  });
}
