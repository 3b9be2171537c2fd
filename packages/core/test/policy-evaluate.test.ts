import { describe, expect, it } from "vitest";
import { compileBucketPolicy, evaluateBucketPolicy, parseBucketPolicy, type PolicyRequest } from "../src/policy/index.ts";

const scope = { customerId: "acme-corp", bucket: "docs" };
const KEY = "S3GWAAAAAAAAAAAAAAAA";
const OTHER_KEY = "S3GWBBBBBBBBBBBBBBBB";

function policy(...statements: Record<string, unknown>[]) {
  const doc = parseBucketPolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), scope);
  return compileBucketPolicy(doc, scope);
}

function req(over: Partial<PolicyRequest> = {}): PolicyRequest {
  return {
    accessKeyId: KEY,
    action: "s3:GetObject",
    resource: "arn:aws:s3:::docs/a/b.txt",
    sourceIp: "192.0.2.10",
    secureTransport: false,
    prefix: undefined,
    serverSideEncryption: undefined,
    cannedAcl: undefined,
    sseCustomerAlgorithm: undefined,
    sseKmsKeyId: undefined,
    ...over,
  };
}

const allowAll = { Sid: "all", Effect: "Allow", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::docs", "arn:aws:s3:::docs/*"] };

describe("bucket policy evaluation", () => {
  it("Deny beats Allow whatever the order, and names the statement", () => {
    const deny = { Sid: "no-get", Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs/*" };
    expect(evaluateBucketPolicy(policy(allowAll, deny), req())).toEqual({ effect: "Deny", sid: "no-get" });
    expect(evaluateBucketPolicy(policy(deny, allowAll), req())).toEqual({ effect: "Deny", sid: "no-get" });
    expect(evaluateBucketPolicy(policy(allowAll, deny), req({ action: "s3:PutObject" }))).toEqual({ effect: "Allow", sid: "all" });
  });

  it("no applicable statement is None (the key's own permission decides)", () => {
    const p = policy({ Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::docs/*" });
    expect(evaluateBucketPolicy(p, req())).toEqual({ effect: "None" });
  });

  it("action wildcards and case: s3:Get*, s3:*, GETOBJECT; ? is one character", () => {
    const p = policy({ Sid: "g", Effect: "Deny", Principal: "*", Action: ["s3:Get*", "s3:PUTOBJECTTAGGING", "s3:ListBucke?"], Resource: ["arn:aws:s3:::docs", "arn:aws:s3:::docs/*"] });
    expect(evaluateBucketPolicy(p, req({ action: "s3:GetObject" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ action: "s3:GetObjectTagging" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ action: "s3:PutObjectTagging" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ action: "s3:ListBucket", resource: "arn:aws:s3:::docs" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ action: "s3:ListBucketVersions", resource: "arn:aws:s3:::docs" })).effect).toBe("None");
    expect(evaluateBucketPolicy(p, req({ action: "s3:PutObject" })).effect).toBe("None");
  });

  it("NotAction: everything but the listed actions", () => {
    const p = policy({ Effect: "Deny", Principal: "*", NotAction: ["s3:GetObject", "s3:List*"], Resource: "arn:aws:s3:::docs/*" });
    expect(evaluateBucketPolicy(p, req()).effect).toBe("None");
    expect(evaluateBucketPolicy(p, req({ action: "s3:PutObject" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ action: "s3:DeleteObject" })).effect).toBe("Deny");
  });

  it("resource wildcards: * spans slashes, ? one character, keys are case-sensitive and literal", () => {
    const p = policy({ Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: ["arn:aws:s3:::docs/secret/*", "arn:aws:s3:::docs/file?.txt", "arn:aws:s3:::docs/lit.(x)+"] });
    const at = (key: string) => evaluateBucketPolicy(p, req({ resource: `arn:aws:s3:::docs/${key}` })).effect;
    expect(at("secret/a/b/c")).toBe("Deny");
    expect(at("Secret/a")).toBe("None");
    expect(at("file1.txt")).toBe("Deny");
    expect(at("file12.txt")).toBe("None");
    expect(at("fileé.txt")).toBe("Deny");
    expect(at("lit.(x)+")).toBe("Deny");
    expect(at("litA(x)+")).toBe("None");
    expect(at("lit.xx")).toBe("None");
  });

  it("arn:aws:s3:::* covers this bucket and its objects (and can only ever be matched against them)", () => {
    const p = policy({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::*" });
    expect(evaluateBucketPolicy(p, req()).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ action: "s3:ListBucket", resource: "arn:aws:s3:::docs" })).effect).toBe("Deny");
  });

  it("the bucket ARN is not the objects' ARN", () => {
    const p = policy({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::docs" });
    expect(evaluateBucketPolicy(p, req()).effect).toBe("None");
    expect(evaluateBucketPolicy(p, req({ action: "s3:ListBucket", resource: "arn:aws:s3:::docs" })).effect).toBe("Deny");
  });

  it("NotResource", () => {
    const p = policy({ Effect: "Deny", Principal: "*", Action: "s3:GetObject", NotResource: "arn:aws:s3:::docs/public/*" });
    expect(evaluateBucketPolicy(p, req({ resource: "arn:aws:s3:::docs/public/x" })).effect).toBe("None");
    expect(evaluateBucketPolicy(p, req({ resource: "arn:aws:s3:::docs/private/x" })).effect).toBe("Deny");
  });

  it("principals: one key, the account (every key and the customer itself), NotPrincipal exempts exactly", () => {
    const one = policy({ Effect: "Deny", Principal: { AWS: `arn:aws:iam::acme-corp:user/${KEY}` }, Action: "s3:*", Resource: "arn:aws:s3:::docs/*" });
    expect(evaluateBucketPolicy(one, req()).effect).toBe("Deny");
    expect(evaluateBucketPolicy(one, req({ accessKeyId: OTHER_KEY })).effect).toBe("None");
    expect(evaluateBucketPolicy(one, req({ accessKeyId: undefined })).effect).toBe("None");
    const account = policy({ Effect: "Deny", Principal: { AWS: ["arn:aws:iam::acme-corp:root"] }, Action: "s3:*", Resource: "arn:aws:s3:::docs/*" });
    expect(evaluateBucketPolicy(account, req({ accessKeyId: OTHER_KEY })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(account, req({ accessKeyId: undefined })).effect).toBe("Deny");
    const bare = policy({ Effect: "Deny", Principal: { AWS: "acme-corp" }, Action: "s3:*", Resource: "arn:aws:s3:::docs/*" });
    expect(evaluateBucketPolicy(bare, req()).effect).toBe("Deny");
    const canonical = policy({ Effect: "Deny", Principal: { CanonicalUser: "acme-corp" }, Action: "s3:*", Resource: "arn:aws:s3:::docs/*" });
    expect(evaluateBucketPolicy(canonical, req()).effect).toBe("Deny");
    const allBut = policy({ Effect: "Deny", NotPrincipal: { AWS: [`arn:aws:iam::acme-corp:user/${KEY}`, "arn:aws:iam::acme-corp:root"] }, Action: "s3:*", Resource: "arn:aws:s3:::docs/*" });
    expect(evaluateBucketPolicy(allBut, req()).effect).toBe("None");
    expect(evaluateBucketPolicy(allBut, req({ accessKeyId: undefined })).effect).toBe("None");
    expect(evaluateBucketPolicy(allBut, req({ accessKeyId: OTHER_KEY })).effect).toBe("Deny");
  });
});

describe("bucket policy conditions", () => {
  const deny = (Condition: Record<string, unknown>) => policy({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::docs", "arn:aws:s3:::docs/*"], Condition });

  it("IpAddress / NotIpAddress on aws:SourceIp, IPv4, IPv6 and IPv4-mapped peers", () => {
    const outside = deny({ NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"] } });
    expect(evaluateBucketPolicy(outside, req({ sourceIp: "192.0.2.200" })).effect).toBe("None");
    expect(evaluateBucketPolicy(outside, req({ sourceIp: "::ffff:192.0.2.7" })).effect).toBe("None");
    expect(evaluateBucketPolicy(outside, req({ sourceIp: "2001:db8:1::5" })).effect).toBe("None");
    expect(evaluateBucketPolicy(outside, req({ sourceIp: "198.51.100.1" })).effect).toBe("Deny");
    // A request without a known address is outside every network.
    expect(evaluateBucketPolicy(outside, req({ sourceIp: undefined })).effect).toBe("Deny");
    const inside = deny({ IpAddress: { "aws:sourceip": "10.0.0.1" } });
    expect(evaluateBucketPolicy(inside, req({ sourceIp: "10.0.0.1" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(inside, req({ sourceIp: "10.0.0.2" })).effect).toBe("None");
    expect(evaluateBucketPolicy(inside, req({ sourceIp: undefined })).effect).toBe("None");
  });

  it("Bool aws:SecureTransport", () => {
    const p = deny({ Bool: { "aws:SecureTransport": "false" } });
    expect(evaluateBucketPolicy(p, req({ secureTransport: false })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ secureTransport: true })).effect).toBe("None");
    const b = deny({ Bool: { "aws:SecureTransport": [true] } });
    expect(evaluateBucketPolicy(b, req({ secureTransport: true })).effect).toBe("Deny");
  });

  it("StringEquals / StringNotEquals / StringLike / StringNotLike; absent keys fail positive operators and pass negated ones", () => {
    expect(evaluateBucketPolicy(deny({ StringEquals: { "s3:prefix": ["a/", "b/"] } }), req({ prefix: "b/" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(deny({ StringEquals: { "s3:prefix": "a/" } }), req({ prefix: "A/" })).effect).toBe("None");
    expect(evaluateBucketPolicy(deny({ StringEquals: { "s3:prefix": "a/" } }), req({ prefix: undefined })).effect).toBe("None");
    expect(evaluateBucketPolicy(deny({ StringNotEquals: { "s3:prefix": "a/" } }), req({ prefix: undefined })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(deny({ StringNotEquals: { "s3:prefix": "a/" } }), req({ prefix: "a/" })).effect).toBe("None");
    expect(evaluateBucketPolicy(deny({ StringLike: { "s3:prefix": "home/*" } }), req({ prefix: "home/x/y" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(deny({ StringNotLike: { "s3:prefix": "home/*" } }), req({ prefix: "etc/" })).effect).toBe("Deny");
    const sse = deny({ StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" } });
    expect(evaluateBucketPolicy(sse, req({ action: "s3:PutObject", serverSideEncryption: "AES256" })).effect).toBe("None");
    expect(evaluateBucketPolicy(sse, req({ action: "s3:PutObject", serverSideEncryption: undefined })).effect).toBe("Deny");
  });

  it("…IfExists: holds when the request lacks the key, otherwise as the operator", () => {
    const p = deny({ StringNotLikeIfExists: { "s3:prefix": "home/*" }, IpAddressIfExists: { "aws:SourceIp": "10.0.0.0/8" } });
    expect(evaluateBucketPolicy(p, req({ prefix: undefined, sourceIp: undefined })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ prefix: "etc/", sourceIp: "10.1.1.1" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ prefix: "home/x", sourceIp: "10.1.1.1" })).effect).toBe("None");
    expect(evaluateBucketPolicy(p, req({ prefix: "etc/", sourceIp: "11.1.1.1" })).effect).toBe("None");
    const eq = deny({ StringEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } });
    expect(evaluateBucketPolicy(eq, req({ serverSideEncryption: undefined })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(eq, req({ serverSideEncryption: "AES256" })).effect).toBe("None");
  });

  it("Null: whether the request carries the key at all (AWS's deny-unencrypted-uploads form)", () => {
    const p = deny({ Null: { "s3:x-amz-server-side-encryption": "true" } });
    expect(evaluateBucketPolicy(p, req({ action: "s3:PutObject" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ action: "s3:PutObject", serverSideEncryption: "AES256" })).effect).toBe("None");
    const present = deny({ Null: { "aws:SourceIp": false } });
    expect(evaluateBucketPolicy(present, req()).effect).toBe("Deny");
    expect(evaluateBucketPolicy(present, req({ sourceIp: undefined })).effect).toBe("None");
  });

  it("SSE-C and KMS keys: Null on the customer algorithm, StringEquals on the KMS key id", () => {
    const ssec = deny({ Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "true" } });
    expect(evaluateBucketPolicy(ssec, req({ action: "s3:PutObject" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(ssec, req({ action: "s3:PutObject", sseCustomerAlgorithm: "AES256" })).effect).toBe("None");
    const kms = deny({ StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:eu-north-1:1:key/k" } });
    expect(evaluateBucketPolicy(kms, req({ sseKmsKeyId: "arn:aws:kms:eu-north-1:1:key/other" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(kms, req({ sseKmsKeyId: "arn:aws:kms:eu-north-1:1:key/k" })).effect).toBe("None");
    // Negated operators (IfExists or not) hold when the key is absent.
    expect(evaluateBucketPolicy(kms, req()).effect).toBe("Deny");
  });

  it("s3:x-amz-acl: require bucket-owner-full-control on writes", () => {
    const p = deny({ StringNotEquals: { "s3:x-amz-acl": "bucket-owner-full-control" } });
    expect(evaluateBucketPolicy(p, req({ action: "s3:PutObject", cannedAcl: "bucket-owner-full-control" })).effect).toBe("None");
    expect(evaluateBucketPolicy(p, req({ action: "s3:PutObject", cannedAcl: "private" })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ action: "s3:PutObject" })).effect).toBe("Deny");
  });

  it("several operators and keys are AND, values of one key are OR", () => {
    const p = deny({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" }, Bool: { "aws:SecureTransport": "false" } });
    expect(evaluateBucketPolicy(p, req({ sourceIp: "10.1.1.1", secureTransport: false })).effect).toBe("Deny");
    expect(evaluateBucketPolicy(p, req({ sourceIp: "10.1.1.1", secureTransport: true })).effect).toBe("None");
    expect(evaluateBucketPolicy(p, req({ sourceIp: "11.1.1.1", secureTransport: false })).effect).toBe("None");
  });
});
