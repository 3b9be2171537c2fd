/**
 * The least-privilege IAM policy the gateway needs on a customer's bucket, for the configured
 * bucket and path prefix: what the probe, the write path, the stray sweeper and the object-lock
 * mirror call (packages/storage/src/s3-provider.ts), nothing wider.
 */
export function examplePolicy(bucket: string, pathPrefix: string | null): string {
  const prefix = pathPrefix ? `${pathPrefix.replace(/\/+$/, "")}/` : "";
  const listCondition = prefix ? { Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } } } : {};
  const policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "S3gwListUnderPrefix",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:ListBucketVersions"],
        Resource: `arn:aws:s3:::${bucket}`,
        ...listCondition,
      },
      {
        Sid: "S3gwMultipartCleanup",
        Effect: "Allow",
        Action: ["s3:ListBucketMultipartUploads"],
        Resource: `arn:aws:s3:::${bucket}`,
      },
      {
        Sid: "S3gwObjectsUnderPrefix",
        Effect: "Allow",
        Action: [
          "s3:PutObject",
          "s3:PutObjectTagging",
          "s3:GetObject",
          "s3:DeleteObject",
          "s3:DeleteObjectVersion",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
          "s3:GetObjectLegalHold",
          "s3:PutObjectLegalHold",
          "s3:PutObjectRetention",
        ],
        Resource: `arn:aws:s3:::${bucket}/${prefix}*`,
      },
    ],
  };
  return JSON.stringify(policy, null, 2);
}

/** What each permission is for, shown next to the policy so an operator can judge what to grant. */
export const PERMISSION_WARNINGS: readonly string[] = [
  "s3:ListBucket under the prefix: the probe's first check and the health check; without it validation fails with missing_permission.",
  "s3:PutObject, s3:PutObjectTagging, s3:GetObject, s3:DeleteObject: every object write, read and delete (objects are tagged with their tenant).",
  "s3:ListBucketVersions, s3:DeleteObjectVersion: deleting an object from a versioned bucket removes every version, so erasure (GDPR) really erases.",
  "s3:ListBucketMultipartUploads, s3:AbortMultipartUpload, s3:ListMultipartUploadParts: large uploads, and cleaning up ones that were abandoned.",
  "s3:GetObjectLegalHold, s3:PutObjectLegalHold, s3:PutObjectRetention: only for a bucket with object lock, so holds and retention are mirrored onto it.",
  "A bucket policy, object lock default retention or a replication rule that keeps objects after a delete makes the probe fail with bucket_policy_conflict.",
];
