import type { Bucket } from "../../services/objects/buckets.ts";
import type { ObjectRow } from "../../services/objects/objects.ts";
import { versionHeader } from "../../services/objects/versions.ts";

/**
 * The headers GET and HEAD add for an object version: its `x-amz-version-id` (none in a bucket
 * that never had versioning) and, in a bucket with object lock, the version's retention and
 * legal hold, as S3 returns them.
 */
export function versionResponseHeaders(bucket: Bucket, row: ObjectRow): Record<string, string> {
  const h = versionHeader(bucket.versioning, row.versionId);
  if (row.retentionUntil) {
    h["x-amz-object-lock-mode"] = row.retentionMode ?? "GOVERNANCE";
    h["x-amz-object-lock-retain-until-date"] = row.retentionUntil.toISOString();
  }
  if (bucket.objectLockEnabled || row.legalHold) h["x-amz-object-lock-legal-hold"] = row.legalHold ? "ON" : "OFF";
  return h;
}
