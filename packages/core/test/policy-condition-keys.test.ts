import { describe, expect, it } from "vitest";
import { compileBucketPolicy, evaluateBucketPolicy, parseBucketPolicy, type PolicyRequest } from "../src/policy/index.ts";

// The header and tag condition keys AWS offers S3 bucket policies (and ceph/s3-tests uses).
const scope = { customerId: "acme-corp", bucket: "docs" };

function policy(condition: Record<string, unknown>, action = "s3:PutObject") {
  const st = { Sid: "deny", Effect: "Deny", Principal: "*", Action: action, Resource: "arn:aws:s3:::docs/*", Condition: condition };
  return compileBucketPolicy(parseBucketPolicy(JSON.stringify({ Version: "2012-10-17", Statement: [st] }), scope), scope);
}

function req(over: Partial<PolicyRequest> = {}): PolicyRequest {
  const base = { accessKeyId: "S3GWAAAAAAAAAAAAAAAA", action: "s3:PutObject", resource: "arn:aws:s3:::docs/k", sourceIp: "192.0.2.10", secureTransport: false };
  return { ...base, prefix: undefined, serverSideEncryption: undefined, cannedAcl: undefined, sseCustomerAlgorithm: undefined, sseKmsKeyId: undefined, ...over };
}
const effect = (p: ReturnType<typeof policy>, over: Partial<PolicyRequest> = {}) => evaluateBucketPolicy(p, req(over)).effect;

describe("header condition keys", () => {
  it("s3:x-amz-copy-source and s3:x-amz-metadata-directive match the headers as sent", () => {
    const p = policy({ StringNotLike: { "s3:x-amz-copy-source": "docs/public/*" } });
    expect(effect(p, { copySource: "docs/private/a" })).toBe("Deny");
    expect(effect(p, { copySource: "docs/public/a" })).toBe("None");
    // Negated operators hold when the key is absent, as in IAM: a plain PUT is denied too.
    expect(effect(p)).toBe("Deny");
    const m = policy({ StringEquals: { "S3:X-Amz-Metadata-Directive": "REPLACE" } });
    expect(effect(m, { metadataDirective: "REPLACE" })).toBe("Deny");
    expect(effect(m, { metadataDirective: "COPY" })).toBe("None");
    expect(effect(m)).toBe("None");
  });

  it("each s3:x-amz-grant-* key reads its own header only", () => {
    const keys = { read: "grantRead", write: "grantWrite", "read-acp": "grantReadAcp", "write-acp": "grantWriteAcp", "full-control": "grantFullControl" } as const;
    for (const [name, f] of Object.entries(keys)) {
      const p = policy({ StringEquals: { [`s3:x-amz-grant-${name}`]: "id=abc" } });
      expect(effect(p, { [f]: "id=abc" })).toBe("Deny");
      for (const other of Object.values(keys).filter((o) => o !== f)) expect(effect(p, { [other]: "id=abc" })).toBe("None");
    }
  });
});

describe("tag condition keys", () => {
  it("s3:RequestObjectTag/<key> and s3:ExistingObjectTag/<key> compare one tag; the tag key is literal", () => {
    const p = policy({ StringEquals: { "s3:RequestObjectTag/security": "public" } });
    expect(effect(p, { requestObjectTags: { security: "public" } })).toBe("Deny");
    expect(effect(p, { requestObjectTags: { Security: "public" } })).toBe("None");
    expect(effect(p, { requestObjectTags: {} })).toBe("None");
    const e = policy({ StringNotEquals: { "s3:ExistingObjectTag/security": "public" } }, "s3:GetObject");
    expect(e.usesExistingObjectTags).toBe(true);
    expect(p.usesExistingObjectTags).toBe(false);
    expect(effect(e, { action: "s3:GetObject", existingObjectTags: { security: "public" } })).toBe("None");
    expect(effect(e, { action: "s3:GetObject", existingObjectTags: { security: "secret" } })).toBe("Deny");
    expect(effect(e, { action: "s3:GetObject" })).toBe("Deny");
  });

  it("inherited names are never tags, and malformed tag keys are refused at PutBucketPolicy", () => {
    const p = policy({ Null: { "s3:RequestObjectTag/constructor": "false" } });
    expect(effect(p, { requestObjectTags: {} })).toBe("None");
    expect(effect(p, { requestObjectTags: { constructor: "x" } })).toBe("Deny");
    expect(() => policy({ StringEquals: { "s3:RequestObjectTag/": "x" } })).toThrow();
    expect(() => policy({ StringEquals: { [`s3:ExistingObjectTag/${"k".repeat(129)}`]: "x" } })).toThrow();
    expect(() => policy({ IpAddress: { "s3:ExistingObjectTag/k": "10.0.0.0/8" } })).toThrow();
  });
});
