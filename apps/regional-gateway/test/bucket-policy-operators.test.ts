import {
  DeleteObjectCommand, GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";
import { createAccessKey, s3Outcome as outcome, sdkClient } from "./sdk-client.ts";
import { xmlValue } from "./s3-write-helpers.ts";

// IAM's condition operators end to end with the AWS SDK: each Deny under an Allow of everything.
let fi: TestRegion;
let a: S3Client;
let b: S3Client;
let bId: string;
let acme: Awaited<ReturnType<typeof registerWithBuckets>>;

const stmt = (Sid: string, Effect: string, Action: string, Condition?: Record<string, unknown>) => ({
  Sid, Effect, Principal: "*", Action, Resource: ["arn:aws:s3:::guarded", "arn:aws:s3:::guarded/*"], ...(Condition && { Condition }),
});

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["guarded"]);
  a = sdkClient(fi.url, await createAccessKey(fi.url, "acme-corp", { permission: "read-write" }));
  const kb = await createAccessKey(fi.url, "acme-corp", { permission: "read-write" });
  bId = kb.access_key_id;
  b = sdkClient(fi.url, kb);
  const Policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      stmt("all", "Allow", "s3:*"),
      // IfExists in a Deny: a request without a Referer satisfies the condition, so it is refused too.
      { ...stmt("noEvilReferer", "Deny", "s3:GetObject", { StringLikeIfExists: { "aws:Referer": "https://evil.example/*" } }), Resource: "arn:aws:s3:::guarded/referred/*" },
      stmt("noBadBot", "Deny", "s3:GetObject", { StringEqualsIgnoreCase: { "aws:UserAgent": "BadBot/1.0" } }),
      stmt("smallPages", "Deny", "s3:ListBucket", { NumericGreaterThan: { "s3:max-keys": "100" } }),
      stmt("noDeletesAfter2000", "Deny", "s3:DeleteObject", { DateGreaterThan: { "aws:CurrentTime": "2000-01-01T00:00:00Z" } }),
      stmt("tagsBefore2000Only", "Deny", "s3:PutObjectTagging", { DateLessThan: { "aws:CurrentTime": "2000-01-01T00:00:00Z" } }),
      stmt("noTagReadsForB", "Deny", "s3:GetObjectTagging", { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::acme-corp:user/${bId}` } }),
    ],
  });
  await a.send(new PutBucketPolicyCommand({ Bucket: "guarded", Policy }));
  await a.send(new PutObjectCommand({ Bucket: "guarded", Key: "doc", Body: "d" }));
  await a.send(new PutObjectCommand({ Bucket: "guarded", Key: "referred/doc", Body: "r" }));
});
afterAll(async () => {
  a?.destroy();
  b?.destroy();
  await fi?.destroy();
});

describe("bucket policy condition operators", () => {
  it("StringLikeIfExists on aws:Referer in a Deny: the denied Referer and no Referer are refused, another one is served", async () => {
    expect(await outcome(a.send(new GetObjectCommand({ Bucket: "guarded", Key: "referred/doc" })))).toBe("403 AccessDenied");
    expect((await acme("/guarded/referred/doc", { headers: { referer: "https://app.example/page" } })).status).toBe(200);
    const denied = await acme("/guarded/referred/doc", { headers: { referer: "https://evil.example/x" } });
    expect([denied.status, xmlValue(await denied.text(), "Code")]).toEqual([403, "AccessDenied"]);
    // Outside the statement's resource the condition is never asked.
    expect(await outcome(a.send(new GetObjectCommand({ Bucket: "guarded", Key: "doc" })))).toBe("ok");
  });

  it("StringEqualsIgnoreCase on aws:UserAgent matches in any case, and nothing else", async () => {
    expect((await acme("/guarded/doc", { headers: { "user-agent": "badbot/1.0" } })).status).toBe(403);
    expect((await acme("/guarded/doc", { headers: { "user-agent": "BADBOT/1.0" } })).status).toBe(403);
    expect((await acme("/guarded/doc", { headers: { "user-agent": "badbot/1.01" } })).status).toBe(200);
  });

  it("NumericGreaterThan on s3:max-keys compares numbers: 101 and 1000 are refused, 99, 100 and none are not", async () => {
    for (const [MaxKeys, want] of [[99, "ok"], [100, "ok"], [101, "403 AccessDenied"], [1000, "403 AccessDenied"], [undefined, "ok"]] as const) {
      expect(await outcome(a.send(new ListObjectsV2Command({ Bucket: "guarded", ...(MaxKeys !== undefined && { MaxKeys }) }))), String(MaxKeys)).toBe(want);
    }
  });

  it("Date operators on aws:CurrentTime: a Deny after a past date refuses now, one before it does not", async () => {
    expect(await outcome(a.send(new DeleteObjectCommand({ Bucket: "guarded", Key: "doc" })))).toBe("403 AccessDenied");
    expect(await outcome(a.send(new PutObjectTaggingCommand({ Bucket: "guarded", Key: "doc", Tagging: { TagSet: [{ Key: "k", Value: "v" }] } })))).toBe("ok");
  });

  it("ArnLike on aws:PrincipalArn names one key: that key is refused, the other key and the customer itself are not", async () => {
    expect(await outcome(b.send(new GetObjectTaggingCommand({ Bucket: "guarded", Key: "doc" })))).toBe("403 AccessDenied");
    expect(await outcome(a.send(new GetObjectTaggingCommand({ Bucket: "guarded", Key: "doc" })))).toBe("ok");
    expect((await acme("/guarded/doc?tagging")).status).toBe(200);
  });

  it("unknown operators, set prefixes and values that do not fit are MalformedPolicy, and the policy in force stays", async () => {
    for (const Condition of [
      { BinaryEquals: { "aws:UserAgent": "eA==" } },
      { "ForAllValues:StringEquals": { "aws:UserAgent": "x" } },
      { NumericLessThan: { "s3:max-keys": "ten" } },
      { DateLessThan: { "aws:CurrentTime": "yesterday" } },
      { NullIfExists: { "aws:Referer": "true" } },
    ]) {
      const Policy = JSON.stringify({ Version: "2012-10-17", Statement: [stmt("bad", "Deny", "s3:GetObject", Condition)] });
      expect(await outcome(a.send(new PutBucketPolicyCommand({ Bucket: "guarded", Policy }))), JSON.stringify(Condition)).toBe("400 MalformedPolicy");
    }
    expect(await outcome(a.send(new DeleteObjectCommand({ Bucket: "guarded", Key: "doc" })))).toBe("403 AccessDenied");
  });
});
