import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isAppError } from "../src/errors.ts";
import { checkPostPolicy, decodePostPolicy, parsePostCredential, postPolicySignature, samePostSignature } from "../src/post-policy.ts";

const b64 = (doc: unknown) => Buffer.from(typeof doc === "string" ? doc : JSON.stringify(doc)).toString("base64");
const now = new Date("2026-01-02T03:04:05Z");
const future = "2026-01-02T04:00:00.000Z";
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  return "none";
}
const fields = (o: Record<string, string>) => new Map(Object.entries(o));

describe("POST policy document", () => {
  it("decodes conditions in all three forms, field names case-insensitive", () => {
    const p = decodePostPolicy(b64({ expiration: future, conditions: [{ bucket: "b" }, ["StArTs-WiTh", "$KeY", "up/"], ["eq", "$acl", "private"], ["content-length-range", 1, "10"]] }));
    expect(p.expiration.toISOString()).toBe(future);
    expect(p.conditions.map((c) => c.kind)).toEqual(["eq", "starts-with", "eq", "content-length-range"]);
    expect(p.conditions[1]).toMatchObject({ field: "key", value: "up/" });
  });

  it("refuses malformed documents with InvalidPolicyDocument", () => {
    const bad = [
      "not base64!",
      Buffer.from("{").toString("base64"),
      b64({ conditions: [] }),
      b64({ expiration: future }),
      b64({ Expiration: future, conditions: [] }),
      b64({ expiration: future, CONDITIONS: [] }),
      b64({ expiration: "2026-01-02 04:00:00+00:00", conditions: [] }),
      b64({ expiration: future, conditions: [{}] }),
      b64({ expiration: future, conditions: [["content-length-range", 0]] }),
      b64({ expiration: future, conditions: [["content-length-range", -1, 0]] }),
      b64({ expiration: future, conditions: [["content-length-range", 5, 1]] }),
      b64({ expiration: future, conditions: [["eq", "key", "x"]] }),
      b64({ expiration: future, conditions: [["matches", "$key", "x"]] }),
      b64({ expiration: future, conditions: [{ key: 1 }] }),
    ];
    for (const p of bad) expect(failure(() => decodePostPolicy(p))).toMatch(/^InvalidPolicyDocument/);
  });
});

describe("POST policy check", () => {
  const policy = decodePostPolicy(b64({ expiration: future, conditions: [{ bucket: "b" }, ["starts-with", "$key", "up/"], { acl: "private" }, ["content-length-range", 1, 100], ["starts-with", "$x-amz-meta-tag", ""]] }));
  const ok = { bucket: "b", key: "up/a.txt", acl: "private", "x-amz-meta-tag": "t", policy: "p", "x-amz-signature": "s", "x-ignore-me": "1" };

  it("passes a covered form and returns the size range", () => {
    expect(checkPostPolicy(policy, fields(ok), now)).toEqual({ minBytes: 1, maxBytes: 100 });
  });

  it("fails an expired policy, a failed condition, a missing field and an uncovered field", () => {
    expect(failure(() => checkPostPolicy(policy, fields(ok), new Date("2026-01-02T04:00:01Z")))).toBe("AccessDenied: Invalid according to Policy: Policy expired.");
    expect(failure(() => checkPostPolicy(policy, fields({ ...ok, key: "other/a.txt" }), now))).toMatch(/AccessDenied: Invalid according to Policy: Policy Condition failed: \["starts-with","\$key","up\/"\]/);
    expect(failure(() => checkPostPolicy(policy, fields({ ...ok, bucket: "other" }), now))).toMatch(/Policy Condition failed: \{"bucket":"b"\}/);
    const { "x-amz-meta-tag": _, ...missing } = ok;
    expect(failure(() => checkPostPolicy(policy, fields(missing), now))).toMatch(/Policy Condition failed/);
    expect(failure(() => checkPostPolicy(policy, fields({ ...ok, "x-amz-meta-extra": "1", "content-type": "a" }), now))).toBe("AccessDenied: Invalid according to Policy: Extra input fields: x-amz-meta-extra, content-type");
  });
});

describe("POST policy signature", () => {
  it("is the SigV4 signing key's HMAC of the base64 policy (AWS's documented example)", () => {
    // From the AWS S3 documentation's browser-upload example (SigV4 POST, us-east-1).
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const policy = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
    const sig = postPolicySignature(secret, { date: "20151229", region: "us-east-1" }, policy);
    expect(sig).toBe("8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e");
    expect(samePostSignature(sig, sig)).toBe(true);
    expect(samePostSignature(sig, sig.replace(/.$/, (c) => (c === "0" ? "1" : "0")))).toBe(false);
    expect(samePostSignature(sig, "zz")).toBe(false);
    // Independent derivation, step by step.
    const h = (k: Buffer | string, d: string) => createHmac("sha256", k).update(d).digest();
    const key = h(h(h(h(`AWS4${secret}`, "20151229"), "us-east-1"), "s3"), "aws4_request");
    expect(createHmac("sha256", key).update(policy).digest("hex")).toBe(sig);
  });

  it("parses the credential scope and refuses one that disagrees with x-amz-date", () => {
    expect(parsePostCredential("AKID/20260102/us-east-1/s3/aws4_request", "20260102T030405Z")).toEqual({ accessKeyId: "AKID", date: "20260102", region: "us-east-1" });
    expect(failure(() => parsePostCredential("AKID/20260102/us-east-1/s3/aws4_request", "20260103T030405Z"))).toMatch(/^InvalidArgument/);
    expect(failure(() => parsePostCredential("AKID/20260102/us-east-1/iam/aws4_request", "20260102T030405Z"))).toMatch(/^InvalidArgument/);
    expect(failure(() => parsePostCredential("AKID/20260102/us-east-1/s3/aws4_request", "2026-01-02"))).toMatch(/^InvalidArgument/);
  });
});
