import type { TLSSocket } from "node:tls";
import { assertAcceptableAcl, assertObjectOwnership, evaluateBucketPolicy, isAppError, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import type { ActiveAccessKey } from "../../services/access/access-keys.ts";
import { compiledBucketPolicy } from "../../services/access/bucket-policy.ts";
import { findBucket, type Bucket } from "../../services/objects/buckets.ts";
import { parseCopySource } from "./copy-source.ts";
import { existingTagFacts, headerFacts } from "./policy-facts.ts";
import type { Permission, S3Operation } from "./operations.ts";
import type { S3Target } from "./request-target.ts";

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

/** The IAM action a bucket policy names an operation by (the table's `action`, else `s3:<name>`). */
export const actionOf = (operation: S3Operation): string => operation.action ?? `s3:${operation.name}`;

/** Policy management stays with the customer itself whatever a policy says, so a policy can never lock its owner out. */
const OWNER_ALWAYS = new Set(["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"]);
const LIST_ACTIONS = new Set(["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"]);

/**
 * After the key's own limits: the ACL headers an operation reads (nothing may grant beyond the
 * owner), then the bucket policy of every bucket the operation touches — the addressed one with
 * the operation's action, a copy's source with s3:GetObject. DeleteObjects names its keys in the
 * body: its handler asks `assertBucketPolicyAllows` per key; PutObjectTagging likewise with the tags of its body.
 */
export async function authorizeByBucketPolicy(c: Context<AppEnv>, operation: S3Operation, target: S3Target, copySource: string | undefined): Promise<void> {
  if (operation.reads.includes("x-amz-acl")) assertAcceptableAcl((name) => c.req.header(name));
  if (operation.reads.includes("x-amz-object-ownership")) assertObjectOwnership(c.req.header("x-amz-object-ownership"));
  // A bucket that does not exist yet has no policy; refused rows (scope "*") never run.
  // PutObjectTagging's tags (s3:RequestObjectTag/<key>) are in its body: its handler asks once it has read them.
  if (target.bucket === undefined || operation.scope === "*" || operation.name === "CreateBucket" || operation.name === "DeleteObjects" || operation.name === "PutObjectTagging") return;
  const accessKeyId = c.get("s3Auth")?.key.accessKeyId;
  const action = actionOf(operation);
  const versionId = target.query.get("versionId") ?? undefined;
  await assertBucketPolicyAllows(c, { bucket: target.bucket, key: target.key, action, versioned: versionId !== undefined, versionId, accessKeyId });
  if (operation.copySource && copySource !== undefined) {
    const source = parseCopySource(c);
    await assertBucketPolicyAllows(c, { bucket: source.bucket, key: source.key, action: "s3:GetObject", versioned: source.versionId !== undefined, versionId: source.versionId, accessKeyId });
  }
}

/** S3 names the object actions on a given version separately; here a Deny of either refuses, so denying s3:GetObject is never sidestepped with a versionId. */
const VERSION_ACTIONS: Record<string, string> = {
  "s3:GetObject": "s3:GetObjectVersion",
  "s3:DeleteObject": "s3:DeleteObjectVersion",
  "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
  "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
  "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
  "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
  "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
};

function withVersionAction(action: string, versioned: boolean): string[] {
  const v = versioned ? VERSION_ACTIONS[action] : undefined;
  return v ? [action, v] : [action];
}

/** Whether the request reached us over TLS: as the router signed it (x-forwarded-proto is in its proof), else our own socket. */
function secureTransport(c: Context<AppEnv>): boolean {
  if (c.get("forwardedByRouter")) return c.req.header("x-forwarded-proto") === "https";
  return (c.env?.incoming?.socket as TLSSocket | undefined)?.encrypted === true;
}

async function bucketOrUndefined(c: Context<AppEnv>, name: string): Promise<Bucket | undefined> {
  try {
    return await findBucket(c.get("deps"), c.get("customer").customerId, name);
  } catch (err) {
    // A missing bucket has no policy; the handler answers NoSuchBucket in its own terms.
    if (isAppError(err) && err.code === "NoSuchBucket") return undefined;
    throw err;
  }
}

/**
 * One action on one of the caller's buckets (or an object in it) against that bucket's policy.
 * Only an explicit Deny refuses: without one the key's own permissions decide (they are the
 * identity policy of the same account, and an Allow never widens them). The source address is
 * the socket peer, or the client the global router signed into its proof — never an unsigned
 * X-Forwarded-For. A denial is refused with AccessDenied and recorded in the audit row.
 */
export async function assertBucketPolicyAllows(
  c: Context<AppEnv>,
  req: {
    bucket: string; key: string | undefined; action: string; versioned?: boolean; versionId?: string | undefined; accessKeyId: string | undefined;
    /** The tags the request sets when they are not in x-amz-tagging (PutObjectTagging's body). */
    requestObjectTags?: Readonly<Record<string, string>>;
  },
): Promise<void> {
  const bucket = await bucketOrUndefined(c, req.bucket);
  if (!bucket) return;
  const policy = await compiledBucketPolicy(c.get("deps"), bucket);
  if (!policy) return;
  if (req.accessKeyId === undefined && OWNER_ALWAYS.has(req.action)) return;
  const auth = c.get("s3Auth"), now = c.get("deps").clock.now();
  const customerId = c.get("customer").customerId;
  const listing = LIST_ACTIONS.has(req.action) ? c.get("s3Target")?.query : undefined;
  const context = {
    accessKeyId: req.accessKeyId,
    resource: req.key === undefined ? `arn:aws:s3:::${req.bucket}` : `arn:aws:s3:::${req.bucket}/${req.key}`,
    sourceIp: c.get("clientAddress"),
    secureTransport: secureTransport(c),
    prefix: listing?.get("prefix") ?? undefined,
    delimiter: listing?.get("delimiter") ?? undefined,
    maxKeys: listing?.get("max-keys") ?? undefined,
    referer: c.req.header("referer"),
    userAgent: c.req.header("user-agent"),
    requestTime: now,
    // A browser form's signature is checked by its own route; its requests carry no s3Auth.
    signatureAge: auth ? Math.max(0, now.getTime() - auth.verified.signingDate.getTime()) : undefined,
    authType: auth ? (auth.verified.kind === "presigned" ? "REST-QUERY-STRING" : "REST-HEADER") : undefined,
    signatureVersion: auth ? "AWS4-HMAC-SHA256" : undefined,
    principalArn: req.accessKeyId === undefined ? `arn:aws:iam::${customerId}:root` : `arn:aws:iam::${customerId}:user/${req.accessKeyId}`,
    serverSideEncryption: c.req.header("x-amz-server-side-encryption"),
    sseCustomerAlgorithm: c.req.header("x-amz-server-side-encryption-customer-algorithm"),
    sseKmsKeyId: c.req.header("x-amz-server-side-encryption-aws-kms-key-id"),
    cannedAcl: c.req.header("x-amz-acl"),
    ...headerFacts(c),
    ...(req.requestObjectTags && { requestObjectTags: req.requestObjectTags }),
    ...(await existingTagFacts(c, bucket, { key: req.key, action: req.action, versionId: req.versionId }, policy.usesExistingObjectTags)),
  };
  for (const action of withVersionAction(req.action, req.versioned === true)) {
    const decision = evaluateBucketPolicy(policy, { ...context, action });
    if (decision.effect !== "Deny") continue;
    const op = c.get("op");
    op.info = { ...op.info, reason: "bucket_policy_denied", policy_bucket: req.bucket, action, statement: decision.sid ?? null, ...(req.key === undefined ? {} : { policy_key: req.key }) };
    throw s3Error("AccessDenied", `Access Denied: explicitly denied by the bucket policy of ${req.bucket}`);
  }
}
