import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { kmsKeyArn, sseResponseHeaders } from "../src/sse/sse-response.ts";
import { parseSseRequest } from "../src/sse/sse-request.ts";

const owner = { regionId: "FI-HEL", customerId: "acme-corp" };

describe("kmsKeyArn", () => {
  it("names the key as AWS does, the region id lower-cased; an ARN stays as it is", () => {
    expect(kmsKeyArn(owner, "0b1e2c3d-key")).toBe("arn:aws:kms:fi-hel:acme-corp:key/0b1e2c3d-key");
    expect(kmsKeyArn(owner, "arn:aws:kms:fi-hel:acme-corp:key/k")).toBe("arn:aws:kms:fi-hel:acme-corp:key/k");
  });
});

describe("sseResponseHeaders", () => {
  it("SSE-S3: AES256 only; no key id or Bucket Key even when stored", () => {
    expect(sseResponseHeaders({ mode: "AES256", keyId: "default-key", bucketKeyEnabled: true }, owner)).toEqual({ "x-amz-server-side-encryption": "AES256" });
  });

  it("SSE-KMS: the key's ARN, the Bucket Key only when enabled, the context only where asked for", () => {
    const enc = { mode: "aws:kms" as const, keyId: "k-1", kmsContext: "eyJhIjoiYiJ9" };
    expect(sseResponseHeaders(enc, owner)).toEqual({
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:fi-hel:acme-corp:key/k-1",
    });
    expect(sseResponseHeaders({ ...enc, bucketKeyEnabled: true }, { ...owner, includeContext: true })).toEqual({
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:fi-hel:acme-corp:key/k-1",
      "x-amz-server-side-encryption-bucket-key-enabled": "true",
      "x-amz-server-side-encryption-context": "eyJhIjoiYiJ9",
    });
    // Another customer's view of the same key id names that customer: the ARN is built from the owner given.
    expect(sseResponseHeaders(enc, { regionId: "de-fra", customerId: "globex" })["x-amz-server-side-encryption-aws-kms-key-id"]).toBe("arn:aws:kms:de-fra:globex:key/k-1");
  });

  it("SSE-C: algorithm and the request's MD5 echoed, never x-amz-server-side-encryption; nothing without the request's key", () => {
    const key = randomBytes(32);
    const keyMd5 = createHash("md5").update(key).digest("base64");
    const request = parseSseRequest((n) => ({
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": key.toString("base64"),
      "x-amz-server-side-encryption-customer-key-md5": keyMd5,
    })[n], { kind: "read" });
    const enc = { mode: "SSE-C" as const, keyId: "default-key" };
    expect(sseResponseHeaders(enc, { ...owner, request })).toEqual({
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key-MD5": keyMd5,
    });
    expect(sseResponseHeaders(enc, owner)).toEqual({});
    expect(sseResponseHeaders(enc, { ...owner, request: { mode: "AES256" } })).toEqual({});
  });
});
