import { CopyObjectCommand, GetObjectCommand, GetObjectTaggingCommand, PutBucketPolicyCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";
import { s3Outcome as outcome, sdkFor } from "./sdk-client.ts";

// Bucket-policy condition keys on headers and tags, end to end with the AWS SDK.
let fi: TestRegion;
let sdk: S3Client;
let globex: S3Client;


const deny = (Sid: string, Action: string, Condition: Record<string, unknown>) => ({ Sid, Effect: "Deny", Principal: "*", Action, Resource: "arn:aws:s3:::tagged/*", Condition });

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sdk = await sdkFor(fi.url, "acme-corp", ["tagged"]);
  globex = await sdkFor(fi.url, "globex", ["tagged"]);
  const Policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      deny("readPublicOnly", "s3:GetObject", { StringNotEquals: { "s3:ExistingObjectTag/security": "public" } }),
      deny("noSecretUploads", "s3:PutObject", { StringEquals: { "s3:RequestObjectTag/security": "secret" } }),
      deny("copyOnlyFromPublic", "s3:PutObject", { Null: { "s3:x-amz-copy-source": "false" }, StringNotLike: { "s3:x-amz-copy-source": "tagged/public/*" } }),
      deny("noMetadataReplace", "s3:PutObject", { StringEquals: { "s3:x-amz-metadata-directive": "REPLACE" } }),
      deny("noSecretTagging", "s3:PutObjectTagging", { StringEquals: { "s3:RequestObjectTag/security": "secret" } }),
      { Sid: "frozenTags", Effect: "Deny", Principal: "*", Action: "s3:PutObjectTagging", Resource: "arn:aws:s3:::tagged/frozen/*" },
    ],
  });
  await sdk.send(new PutBucketPolicyCommand({ Bucket: "tagged", Policy }));
});
afterAll(() => fi?.destroy());


describe("bucket policy condition keys", () => {
  it("s3:ExistingObjectTag follows the object's current tags; s3:RequestObjectTag the x-amz-tagging sent", async () => {
    expect(await outcome(sdk.send(new PutObjectCommand({ Bucket: "tagged", Key: "public/a", Body: "a", Tagging: "security=public" })))).toBe("ok");
    expect(await outcome(sdk.send(new PutObjectCommand({ Bucket: "tagged", Key: "public/b", Body: "b", Tagging: "security=secret" })))).toBe("403 AccessDenied");
    expect(await outcome(sdk.send(new GetObjectCommand({ Bucket: "tagged", Key: "public/a" })))).toBe("ok");
    await sdk.send(new PutObjectTaggingCommand({ Bucket: "tagged", Key: "public/a", Tagging: { TagSet: [{ Key: "security", Value: "internal" }] } }));
    expect(await outcome(sdk.send(new GetObjectCommand({ Bucket: "tagged", Key: "public/a" })))).toBe("403 AccessDenied");
    // GetObjectTagging is not governed by this statement: the tags stay readable.
    expect((await sdk.send(new GetObjectTaggingCommand({ Bucket: "tagged", Key: "public/a" }))).TagSet).toEqual([{ Key: "security", Value: "internal" }]);
  });

  it("s3:x-amz-copy-source and s3:x-amz-metadata-directive judge CopyObject", async () => {
    await sdk.send(new PutObjectCommand({ Bucket: "tagged", Key: "public/src", Body: "s", Tagging: "security=public" }));
    await sdk.send(new PutObjectCommand({ Bucket: "tagged", Key: "private/src", Body: "p", Tagging: "security=public" }));
    expect(await outcome(sdk.send(new CopyObjectCommand({ Bucket: "tagged", Key: "copy1", CopySource: "tagged/public/src" })))).toBe("ok");
    expect(await outcome(sdk.send(new CopyObjectCommand({ Bucket: "tagged", Key: "copy2", CopySource: "tagged/private/src" })))).toBe("403 AccessDenied");
    expect(await outcome(sdk.send(new CopyObjectCommand({ Bucket: "tagged", Key: "copy3", CopySource: "tagged/public/src", MetadataDirective: "REPLACE", Metadata: { a: "b" } })))).toBe("403 AccessDenied");
  });

  it("s3:RequestObjectTag judges PutObjectTagging by the tags in its body; an unconditional Deny still refuses it", async () => {
    await sdk.send(new PutObjectCommand({ Bucket: "tagged", Key: "public/t", Body: "t", Tagging: "security=public" }));
    const tag = (Key: string, value: string, extra: Record<string, unknown> = {}) =>
      sdk.send(new PutObjectTaggingCommand({ Bucket: "tagged", Key, Tagging: { TagSet: [{ Key: "owner", Value: "ops" }, { Key: "security", Value: value }] }, ...extra }));
    expect(await outcome(tag("public/t", "secret"))).toBe("403 AccessDenied");
    expect((await sdk.send(new GetObjectTaggingCommand({ Bucket: "tagged", Key: "public/t" }))).TagSet).toEqual([{ Key: "security", Value: "public" }]);
    expect(await outcome(tag("public/t", "public"))).toBe("ok");
    // The tag key is literal: "Security" is another tag, and x-amz-tagging on the request does not stand in for the body.
    expect(await outcome(sdk.send(new PutObjectTaggingCommand({ Bucket: "tagged", Key: "public/t", Tagging: { TagSet: [{ Key: "Security", Value: "secret" }] } })))).toBe("ok");
    const viaHeader = await fetch(`${fi.url}/s3/tagged/public/t?tagging`, { method: "PUT", headers: { "x-customer-id": "acme-corp", "x-amz-tagging": "security=public" }, body: "<Tagging><TagSet><Tag><Key>security</Key><Value>secret</Value></Tag></TagSet></Tagging>" });
    expect(viaHeader.status).toBe(403);
    await sdk.send(new PutObjectCommand({ Bucket: "tagged", Key: "frozen/f", Body: "f" }));
    expect(await outcome(tag("frozen/f", "public"))).toBe("403 AccessDenied");
    // A malformed body is the caller's 400 before any policy question.
    const bad = await fetch(`${fi.url}/s3/tagged/public/t?tagging`, { method: "PUT", headers: { "x-customer-id": "acme-corp" }, body: "<Tagging><TagSet><Tag><Key>security</Key></Tag>" });
    expect(bad.status).toBe(400);
  });

  it("another customer's same-named bucket has neither the policy nor the tags", async () => {
    expect(await outcome(globex.send(new PutObjectCommand({ Bucket: "tagged", Key: "public/a", Body: "g", Tagging: "security=secret" })))).toBe("ok");
    expect(await (await globex.send(new GetObjectCommand({ Bucket: "tagged", Key: "public/a" }))).Body!.transformToString()).toBe("g");
    // A malformed x-amz-tagging under a policy is the caller's 400, not a 5xx.
    expect(await outcome(sdk.send(new PutObjectCommand({ Bucket: "tagged", Key: "public/c", Body: "c", Tagging: "security=public&security=twice" })))).toMatch(/^400 /);
  });
});
