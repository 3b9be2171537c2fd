import { hasWildcard, wildcardRegExp } from "./wildcard.ts";

/**
 * The S3 action names a bucket policy may use (AWS's list for S3 buckets and objects). A policy
 * may name actions this gateway does not serve (they never match a request); a name outside
 * the list is a typo or a lookalike and is refused, as AWS refuses it.
 */
export const S3_IAM_ACTIONS = [
  "AbortMultipartUpload", "BypassGovernanceRetention", "CreateBucket", "DeleteBucket",
  "DeleteBucketPolicy", "DeleteBucketWebsite", "DeleteObject", "DeleteObjectTagging", "DeleteObjectVersion",
  "DeleteObjectVersionTagging", "GetAccelerateConfiguration", "GetAnalyticsConfiguration", "GetBucketAcl", "GetBucketCORS",
  "GetBucketLocation", "GetBucketLogging", "GetBucketNotification", "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls",
  "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock", "GetBucketRequestPayment", "GetBucketTagging",
  "GetBucketVersioning", "GetBucketWebsite", "GetEncryptionConfiguration", "GetIntelligentTieringConfiguration", "GetInventoryConfiguration",
  "GetLifecycleConfiguration", "GetMetricsConfiguration", "GetObject", "GetObjectAcl", "GetObjectAttributes",
  "GetObjectLegalHold", "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent", "GetObjectVersion",
  "GetObjectVersionAcl", "GetObjectVersionAttributes", "GetObjectVersionTagging", "GetReplicationConfiguration", "ListAllMyBuckets",
  "ListBucket", "ListBucketMultipartUploads", "ListBucketVersions", "ListMultipartUploadParts", "PutAccelerateConfiguration",
  "PutAnalyticsConfiguration", "PutBucketAcl", "PutBucketCORS", "PutBucketLogging", "PutBucketNotification",
  "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy", "PutBucketPublicAccessBlock", "PutBucketRequestPayment",
  "PutBucketTagging", "PutBucketVersioning", "PutBucketWebsite", "PutEncryptionConfiguration", "PutIntelligentTieringConfiguration",
  "PutInventoryConfiguration", "PutLifecycleConfiguration", "PutMetricsConfiguration", "PutObject", "PutObjectAcl",
  "PutObjectLegalHold", "PutObjectRetention", "PutObjectTagging", "PutObjectVersionAcl", "PutObjectVersionTagging",
  "PutReplicationConfiguration", "ReplicateDelete", "ReplicateObject", "ReplicateTags", "RestoreObject",
].map((a) => `s3:${a}`);

const KNOWN = new Set(S3_IAM_ACTIONS.map((a) => a.toLowerCase()));

/** Action names are ASCII letters after `s3:`, with IAM's wildcards; anything else (a Cyrillic `е`) is no action. */
const ACTION_SHAPE = /^(?:\*|s3:[A-Za-z*?]+)$/i;

/** Whether a policy's action (exact or wildcard, case-insensitive as in IAM) names at least one S3 action. */
export function isValidActionPattern(pattern: string): boolean {
  if (!ACTION_SHAPE.test(pattern)) return false;
  if (!hasWildcard(pattern)) return KNOWN.has(pattern.toLowerCase());
  const re = wildcardRegExp(pattern, { ignoreCase: true });
  return S3_IAM_ACTIONS.some((a) => re.test(a));
}

export const isKnownS3Action = (action: string): boolean => KNOWN.has(action.toLowerCase());
