import { s3Error } from "@s3gw/core";
import type { ActiveAccessKey } from "../../services/access/access-keys.ts";
import type { Permission, S3Operation } from "./operations.ts";

/**
 * A key's limits apply to every bucket an operation touches: the addressed bucket with the
 * operation's permission, and for copies the source bucket with read. Without an access key
 * (trusted-header mode) the operator vouches for the caller and there is nothing to narrow.
 */
export function authorizeS3(
  key: ActiveAccessKey | undefined,
  operation: S3Operation,
  buckets: { bucket: string | undefined; copySourceBucket: string | undefined },
): void {
  if (!key) return;
  check(key, operation.permission, buckets.bucket);
  if (operation.copySource) check(key, operation.copySource, buckets.copySourceBucket);
}

function check(key: ActiveAccessKey, permission: Permission, bucket: string | undefined): void {
  if (permission === "write" && key.permission === "read-only") throw s3Error("AccessDenied", "This access key is read-only");
  if (bucket !== undefined && key.allowedBuckets && !key.allowedBuckets.includes(bucket)) {
    throw s3Error("AccessDenied", `This access key may not access bucket ${bucket}`);
  }
}
