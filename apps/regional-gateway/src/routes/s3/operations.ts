import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { createBucketHandler, deleteBucketHandler, getBucketLocationHandler, headBucketHandler } from "./bucket-ops.ts";
import { getBucketVersioningHandler, putBucketVersioningHandler } from "./bucket-versioning.ts";
import { listObjectVersionsHandler } from "./list-object-versions.ts";
import { getObjectLockConfigurationHandler, putObjectLockConfigurationHandler } from "./bucket-object-lock.ts";
import { LOCK_WRITE_HEADERS } from "./object-lock-headers.ts";
import { deleteBucketLifecycleHandler, getBucketLifecycleHandler, putBucketLifecycleHandler } from "./bucket-lifecycle.ts";
import { deleteBucketTaggingHandler, getBucketTaggingHandler, putBucketTaggingHandler } from "./bucket-tagging.ts";
import { deleteBucketCorsHandler, getBucketCorsHandler, putBucketCorsHandler } from "./bucket-cors.ts";
import { getBucketNotificationHandler, putBucketNotificationHandler } from "./bucket-notification.ts";
import { getBucketLoggingHandler, putBucketLoggingHandler } from "./bucket-logging.ts";
import { deleteBucketEncryptionHandler, getBucketEncryptionHandler, putBucketEncryptionHandler, updateObjectEncryptionHandler } from "./bucket-encryption.ts";
import { postObjectHandler } from "./post-object.ts";
import { completeMultipartUploadHandler } from "./complete-multipart.ts";
import { copyObjectHandler } from "./copy-object.ts";
import { deleteObjectHandler } from "./delete-object.ts";
import { deleteObjectsHandler } from "./delete-objects.ts";
import { getObjectHandler } from "./get-object.ts";
import { getObjectAttributesHandler } from "./get-object-attributes.ts";
import { listBucketsHandler } from "./list-buckets.ts";
import { listObjectsHandler } from "./list-objects.ts";
import { listMultipartUploadsHandler, listPartsHandler } from "./multipart-lists.ts";
import { abortMultipartUploadHandler, createMultipartUploadHandler } from "./multipart-upload.ts";
import { getObjectLegalHoldHandler, getObjectRetentionHandler, putObjectLegalHoldHandler, putObjectRetentionHandler } from "./object-lock.ts";
import { deleteObjectTaggingHandler, getObjectTaggingHandler, putObjectTaggingHandler } from "./object-tagging.ts";
import { getObjectTorrentHandler } from "./object-torrent.ts";
import { putObjectHandler } from "./put-object.ts";
import { uploadPartCopyHandler } from "./upload-part-copy.ts";
import { uploadPartHandler } from "./upload-part.ts";
import { getBucketAclHandler, putBucketAclHandler } from "./bucket-acl.ts";
import { deleteBucketPolicyHandler, getBucketPolicyHandler, getBucketPolicyStatusHandler, putBucketPolicyHandler } from "./bucket-policy.ts";
import { getObjectAclHandler, putObjectAclHandler } from "./object-acl.ts";
import { deleteOwnershipControlsHandler, getOwnershipControlsHandler, putOwnershipControlsHandler } from "./ownership-controls.ts";
import { deletePublicAccessBlockHandler, getPublicAccessBlockHandler, putPublicAccessBlockHandler } from "./public-access-block.ts";

export type S3Handler = (c: Context<AppEnv>, bucket: string, key: string) => Promise<Response>;
export type Scope = "service" | "bucket" | "object";
/** What an operation needs on a bucket it touches: `read` is allowed to read-only keys, `write` is not. */
export type Permission = "read" | "write";

export type BodySpec =
  | { kind: "none" }
  /** A document read whole, at most `maxBytes`, covered by the payload hash like any body. */
  | { kind: "xml"; maxBytes: number }
  /** Object bytes streamed to storage, at most `maxBytes`. */
  | { kind: "bytes"; maxBytes: number };

export interface S3Operation {
  name: string;
  /** The IAM action a bucket policy names it by, where that is not `s3:<name>`. */
  action?: string;
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE" | "*";
  scope: Scope | "*";
  /** The sub-resource query parameter that selects it (`?tagging`), if any. */
  sub?: string;
  /** Further distinctions within one method, scope and sub-resource. */
  when?: (req: { query: URLSearchParams; copySource: boolean }) => boolean;
  /** The permission needed on the addressed bucket, and on the copy source's bucket for copies. */
  permission: Permission;
  copySource?: Permission;
  body: BodySpec;
  /** The `x-amz-*` request headers the operation acts on (all must be signed, as every x-amz-* header must). */
  reads: readonly string[];
  /** "form": the credentials are inside the body (a browser form's signed policy); the handler authenticates. */
  authenticatedBy?: "form";
  handler: S3Handler;
}

const GiB = 1024 ** 3;
const NONE: BodySpec = { kind: "none" };
const xmlBody = (maxBytes: number): BodySpec => ({ kind: "xml", maxBytes });

const LOCK = ["x-amz-bypass-governance-retention"];
/** Validated for every operation that reads them (authorize.ts): nothing may grant beyond the owner. */
const ACL = ["x-amz-acl", "x-amz-grant-*"];
const WRITE_HEADERS = ["x-amz-meta-*", "x-amz-tagging", "x-amz-storage-class", "x-amz-server-side-encryption", ...LOCK, ...LOCK_WRITE_HEADERS, ...ACL];
const COPY_HEADERS = ["x-amz-copy-source", "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match", "x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since", "x-amz-source-expected-bucket-owner"];
const CHECKSUM = ["x-amz-content-sha256", "x-amz-decoded-content-length", "x-amz-trailer", "x-amz-checksum-*"];

/**
 * Every S3 operation this gateway serves: how it is matched, what it needs on each bucket it
 * touches, its body and limit, and the headers it acts on. Dispatch, authorisation, body
 * verification and the audit record's operation name all come from here.
 */
export const S3_OPERATIONS: readonly S3Operation[] = [
  { name: "ListBuckets", action: "s3:ListAllMyBuckets", method: "GET", scope: "service", permission: "read", body: NONE, reads: [], handler: (c) => listBucketsHandler(c) },

  { name: "GetBucketVersioning", method: "GET", scope: "bucket", sub: "versioning", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketVersioningHandler(c, b) },
  { name: "PutBucketVersioning", method: "PUT", scope: "bucket", sub: "versioning", permission: "write", body: xmlBody(64 * 1024), reads: ["x-amz-mfa"], handler: (c, b) => putBucketVersioningHandler(c, b) },
  { name: "PutObjectLockConfiguration", action: "s3:PutBucketObjectLockConfiguration", method: "PUT", scope: "bucket", sub: "object-lock", permission: "write", body: xmlBody(64 * 1024), reads: [], handler: (c, b) => putObjectLockConfigurationHandler(c, b) },
  { name: "GetObjectLockConfiguration", action: "s3:GetBucketObjectLockConfiguration", method: "GET", scope: "bucket", sub: "object-lock", permission: "read", body: NONE, reads: [], handler: (c, b) => getObjectLockConfigurationHandler(c, b) },
  { name: "ListObjectVersions", action: "s3:ListBucketVersions", method: "GET", scope: "bucket", sub: "versions", permission: "read", body: NONE, reads: [], handler: (c, b) => listObjectVersionsHandler(c, b) },
  { name: "PutBucketLifecycleConfiguration", action: "s3:PutLifecycleConfiguration", method: "PUT", scope: "bucket", sub: "lifecycle", permission: "write", body: xmlBody(8 * 1024 * 1024), reads: [], handler: (c, b) => putBucketLifecycleHandler(c, b) },
  { name: "GetBucketLifecycleConfiguration", action: "s3:GetLifecycleConfiguration", method: "GET", scope: "bucket", sub: "lifecycle", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketLifecycleHandler(c, b) },
  { name: "DeleteBucketLifecycle", action: "s3:PutLifecycleConfiguration", method: "DELETE", scope: "bucket", sub: "lifecycle", permission: "write", body: NONE, reads: [], handler: (c, b) => deleteBucketLifecycleHandler(c, b) },
  { name: "PutBucketTagging", method: "PUT", scope: "bucket", sub: "tagging", permission: "write", body: xmlBody(64 * 1024), reads: [], handler: (c, b) => putBucketTaggingHandler(c, b) },
  { name: "GetBucketTagging", method: "GET", scope: "bucket", sub: "tagging", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketTaggingHandler(c, b) },
  { name: "DeleteBucketTagging", action: "s3:PutBucketTagging", method: "DELETE", scope: "bucket", sub: "tagging", permission: "write", body: NONE, reads: [], handler: (c, b) => deleteBucketTaggingHandler(c, b) },
  { name: "PutBucketCors", action: "s3:PutBucketCORS", method: "PUT", scope: "bucket", sub: "cors", permission: "write", body: xmlBody(64 * 1024), reads: [], handler: (c, b) => putBucketCorsHandler(c, b) },
  { name: "GetBucketCors", action: "s3:GetBucketCORS", method: "GET", scope: "bucket", sub: "cors", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketCorsHandler(c, b) },
  { name: "DeleteBucketCors", action: "s3:PutBucketCORS", method: "DELETE", scope: "bucket", sub: "cors", permission: "write", body: NONE, reads: [], handler: (c, b) => deleteBucketCorsHandler(c, b) },
  { name: "PutBucketNotificationConfiguration", action: "s3:PutBucketNotification", method: "PUT", scope: "bucket", sub: "notification", permission: "write", body: xmlBody(64 * 1024), reads: [], handler: (c, b) => putBucketNotificationHandler(c, b) },
  { name: "GetBucketNotificationConfiguration", action: "s3:GetBucketNotification", method: "GET", scope: "bucket", sub: "notification", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketNotificationHandler(c, b) },
  { name: "PutBucketLogging", method: "PUT", scope: "bucket", sub: "logging", permission: "write", body: xmlBody(64 * 1024), reads: [], handler: (c, b) => putBucketLoggingHandler(c, b) },
  { name: "GetBucketLogging", method: "GET", scope: "bucket", sub: "logging", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketLoggingHandler(c, b) },
  { name: "PutBucketEncryption", action: "s3:PutEncryptionConfiguration", method: "PUT", scope: "bucket", sub: "encryption", permission: "write", body: xmlBody(16 * 1024), reads: [], handler: (c, b) => putBucketEncryptionHandler(c, b) },
  { name: "GetBucketEncryption", action: "s3:GetEncryptionConfiguration", method: "GET", scope: "bucket", sub: "encryption", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketEncryptionHandler(c, b) },
  { name: "DeleteBucketEncryption", action: "s3:PutEncryptionConfiguration", method: "DELETE", scope: "bucket", sub: "encryption", permission: "write", body: NONE, reads: [], handler: (c, b) => deleteBucketEncryptionHandler(c, b) },
  // A browser form upload: `bytes` bounds the file; the fields are bounded by post-form.ts.
  { name: "PostObject", action: "s3:PutObject", method: "POST", scope: "bucket", permission: "write", body: { kind: "bytes", maxBytes: 5 * GiB }, reads: [], authenticatedBy: "form", handler: (c, b) => postObjectHandler(c, b) },
  { name: "GetBucketAcl", method: "GET", scope: "bucket", sub: "acl", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketAclHandler(c, b) },
  { name: "PutBucketAcl", method: "PUT", scope: "bucket", sub: "acl", permission: "write", body: xmlBody(64 * 1024), reads: ACL, handler: (c, b) => putBucketAclHandler(c, b) },
  // The policy is JSON, read whole like the XML documents; bucket-policy.ts holds it to AWS's 20 KiB.
  { name: "PutBucketPolicy", method: "PUT", scope: "bucket", sub: "policy", permission: "write", body: xmlBody(64 * 1024), reads: [], handler: (c, b) => putBucketPolicyHandler(c, b) },
  { name: "GetBucketPolicy", method: "GET", scope: "bucket", sub: "policy", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketPolicyHandler(c, b) },
  { name: "DeleteBucketPolicy", method: "DELETE", scope: "bucket", sub: "policy", permission: "write", body: NONE, reads: [], handler: (c, b) => deleteBucketPolicyHandler(c, b) },
  { name: "GetBucketPolicyStatus", method: "GET", scope: "bucket", sub: "policyStatus", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketPolicyStatusHandler(c, b) },
  { name: "GetPublicAccessBlock", action: "s3:GetBucketPublicAccessBlock", method: "GET", scope: "bucket", sub: "publicAccessBlock", permission: "read", body: NONE, reads: [], handler: (c, b) => getPublicAccessBlockHandler(c, b) },
  { name: "PutPublicAccessBlock", action: "s3:PutBucketPublicAccessBlock", method: "PUT", scope: "bucket", sub: "publicAccessBlock", permission: "write", body: xmlBody(16 * 1024), reads: [], handler: (c, b) => putPublicAccessBlockHandler(c, b) },
  { name: "DeletePublicAccessBlock", action: "s3:PutBucketPublicAccessBlock", method: "DELETE", scope: "bucket", sub: "publicAccessBlock", permission: "write", body: NONE, reads: [], handler: (c, b) => deletePublicAccessBlockHandler(c, b) },
  { name: "GetBucketOwnershipControls", method: "GET", scope: "bucket", sub: "ownershipControls", permission: "read", body: NONE, reads: [], handler: (c, b) => getOwnershipControlsHandler(c, b) },
  { name: "PutBucketOwnershipControls", method: "PUT", scope: "bucket", sub: "ownershipControls", permission: "write", body: xmlBody(16 * 1024), reads: [], handler: (c, b) => putOwnershipControlsHandler(c, b) },
  { name: "DeleteBucketOwnershipControls", action: "s3:PutBucketOwnershipControls", method: "DELETE", scope: "bucket", sub: "ownershipControls", permission: "write", body: NONE, reads: [], handler: (c, b) => deleteOwnershipControlsHandler(c, b) },
  { name: "ListMultipartUploads", action: "s3:ListBucketMultipartUploads", method: "GET", scope: "bucket", sub: "uploads", permission: "read", body: NONE, reads: [], handler: (c, b) => listMultipartUploadsHandler(c, b) },
  { name: "DeleteObjects", action: "s3:DeleteObject", method: "POST", scope: "bucket", sub: "delete", permission: "write", body: xmlBody(8 * 1024 * 1024), reads: LOCK, handler: (c, b) => deleteObjectsHandler(c, b) },
  { name: "GetBucketLocation", method: "GET", scope: "bucket", sub: "location", permission: "read", body: NONE, reads: [], handler: (c, b) => getBucketLocationHandler(c, b) },
  { name: "ListObjectsV2", action: "s3:ListBucket", method: "GET", scope: "bucket", when: ({ query }) => query.get("list-type") === "2", permission: "read", body: NONE, reads: [], handler: (c, b) => listObjectsHandler(c, b) },
  { name: "ListObjects", action: "s3:ListBucket", method: "GET", scope: "bucket", permission: "read", body: NONE, reads: [], handler: (c, b) => listObjectsHandler(c, b) },
  { name: "HeadBucket", action: "s3:ListBucket", method: "HEAD", scope: "bucket", permission: "read", body: NONE, reads: [], handler: (c, b) => headBucketHandler(c, b) },
  // The optional CreateBucketConfiguration may only name this region (see location-constraint.ts).
  { name: "CreateBucket", method: "PUT", scope: "bucket", permission: "write", body: xmlBody(64 * 1024), reads: [...ACL, "x-amz-object-ownership", "x-amz-bucket-object-lock-enabled"], handler: (c, b) => createBucketHandler(c, b) },
  { name: "DeleteBucket", method: "DELETE", scope: "bucket", permission: "write", body: NONE, reads: [], handler: (c, b) => deleteBucketHandler(c, b) },

  { name: "UpdateObjectEncryption", action: "s3:PutObject", method: "PUT", scope: "object", sub: "encryption", permission: "write", body: NONE, reads: [], handler: () => updateObjectEncryptionHandler() },
  { name: "GetObjectAcl", method: "GET", scope: "object", sub: "acl", permission: "read", body: NONE, reads: [], handler: getObjectAclHandler },
  { name: "PutObjectAcl", method: "PUT", scope: "object", sub: "acl", permission: "write", body: xmlBody(64 * 1024), reads: ACL, handler: putObjectAclHandler },
  { name: "GetObjectLegalHold", method: "GET", scope: "object", sub: "legal-hold", permission: "read", body: NONE, reads: [], handler: getObjectLegalHoldHandler },
  { name: "PutObjectLegalHold", method: "PUT", scope: "object", sub: "legal-hold", permission: "write", body: xmlBody(16 * 1024), reads: [], handler: putObjectLegalHoldHandler },
  { name: "GetObjectRetention", method: "GET", scope: "object", sub: "retention", permission: "read", body: NONE, reads: [], handler: getObjectRetentionHandler },
  { name: "PutObjectRetention", method: "PUT", scope: "object", sub: "retention", permission: "write", body: xmlBody(16 * 1024), reads: LOCK, handler: putObjectRetentionHandler },
  { name: "GetObjectTagging", method: "GET", scope: "object", sub: "tagging", permission: "read", body: NONE, reads: [], handler: getObjectTaggingHandler },
  { name: "GetObjectTorrent", method: "GET", scope: "object", sub: "torrent", permission: "read", body: NONE, reads: [], handler: getObjectTorrentHandler },
  { name: "PutObjectTagging", method: "PUT", scope: "object", sub: "tagging", permission: "write", body: xmlBody(64 * 1024), reads: [], handler: putObjectTaggingHandler },
  { name: "DeleteObjectTagging", method: "DELETE", scope: "object", sub: "tagging", permission: "write", body: NONE, reads: [], handler: deleteObjectTaggingHandler },
  { name: "CreateMultipartUpload", action: "s3:PutObject", method: "POST", scope: "object", sub: "uploads", permission: "write", body: NONE, reads: [...WRITE_HEADERS, "x-amz-checksum-algorithm", "x-amz-checksum-type"], handler: createMultipartUploadHandler },
  { name: "UploadPartCopy", action: "s3:PutObject", method: "PUT", scope: "object", sub: "uploadId", when: ({ copySource }) => copySource, permission: "write", copySource: "read", body: NONE, reads: [...COPY_HEADERS, "x-amz-copy-source-range"], handler: uploadPartCopyHandler },
  { name: "UploadPart", action: "s3:PutObject", method: "PUT", scope: "object", sub: "uploadId", permission: "write", body: { kind: "bytes", maxBytes: 5 * GiB }, reads: CHECKSUM, handler: uploadPartHandler },
  { name: "CompleteMultipartUpload", action: "s3:PutObject", method: "POST", scope: "object", sub: "uploadId", permission: "write", body: xmlBody(4 * 1024 * 1024), reads: LOCK, handler: completeMultipartUploadHandler },
  { name: "AbortMultipartUpload", method: "DELETE", scope: "object", sub: "uploadId", permission: "write", body: NONE, reads: [], handler: abortMultipartUploadHandler },
  { name: "ListParts", action: "s3:ListMultipartUploadParts", method: "GET", scope: "object", sub: "uploadId", permission: "read", body: NONE, reads: [], handler: listPartsHandler },
  { name: "GetObjectAttributes", method: "GET", scope: "object", sub: "attributes", permission: "read", body: NONE, reads: ["x-amz-object-attributes", "x-amz-max-parts", "x-amz-part-number-marker"], handler: getObjectAttributesHandler },
  { name: "GetObject", method: "GET", scope: "object", permission: "read", body: NONE, reads: ["x-amz-checksum-mode"], handler: getObjectHandler },
  { name: "HeadObject", action: "s3:GetObject", method: "HEAD", scope: "object", permission: "read", body: NONE, reads: ["x-amz-checksum-mode"], handler: getObjectHandler },
  { name: "CopyObject", action: "s3:PutObject", method: "PUT", scope: "object", when: ({ copySource }) => copySource, permission: "write", copySource: "read", body: NONE, reads: [...COPY_HEADERS, ...WRITE_HEADERS, "x-amz-metadata-directive", "x-amz-tagging-directive"], handler: copyObjectHandler },
  { name: "PutObject", method: "PUT", scope: "object", permission: "write", body: { kind: "bytes", maxBytes: 5 * GiB }, reads: [...WRITE_HEADERS, ...CHECKSUM], handler: putObjectHandler },
  { name: "DeleteObject", method: "DELETE", scope: "object", permission: "write", body: NONE, reads: LOCK, handler: deleteObjectHandler },
];

/** Sub-resources S3 defines that this gateway does not serve: refused explicitly, never mistaken for a plain GET/PUT. */
export const UNSUPPORTED_SUBRESOURCES = [
  "website",
  "replication", "restore", "select", "requestPayment", "accelerate",
  "analytics", "inventory", "metrics", "intelligent-tiering",
  "session", "metadataTable", "metadataConfiguration", "renameObject",
] as const;
