import { CopyObjectCommand, GetObjectCommand, GetObjectTaggingCommand, PutBucketPolicyCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

// Bucket-policy condition keys on headers and tags, end to end with the AWS SDK.
let fi: TestRegion;
let sdk: S3Client;
let globex: S3Client;

async function sdkFor(customerId: string, buckets: string[]): Promise<S3Client> {
  await registerWithBuckets(fi.url, customerId, buckets);
  const res = await fetch(`${fi.url}/api/customers/${customerId}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key } });
}

const deny = (Sid: string, Action: string, Condition: Record<string, unknown>) => ({ Sid, Effect: "Deny", Principal: "*", Action, Resource: "arn:aws:s3:::tagged/*", Condition });

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sdk = await sdkFor("acme-corp", ["tagged"]);
  globex = await sdkFor("globex", ["tagged"]);
  const Policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      deny("readPublicOnly", "s3:GetObject", { StringNotEquals: { "s3:ExistingObjectTag/security": "public" } }),
      deny("noSecretUploads", "s3:PutObject", { StringEquals: { "s3:RequestObjectTag/security": "secret" } }),
      deny("copyOnlyFromPublic", "s3:PutObject", { Null: { "s3:x-amz-copy-source": "false" }, StringNotLike: { "s3:x-amz-copy-source": "tagged/public/*" } }),
      deny("noMetadataReplace", "s3:PutObject", { StringEquals: { "s3:x-amz-metadata-directive": "REPLACE" } }),
    ],
  });
  await sdk.send(new PutBucketPolicyCommand({ Bucket: "tagged", Policy }));
});
afterAll(() => fi?.destroy());

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof S3ServiceException) return `${e.$metadata.httpStatusCode} ${e.name}`;
    throw e;
  }
}

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

  it("another customer's same-named bucket has neither the policy nor the tags", async () => {
    expect(await outcome(globex.send(new PutObjectCommand({ Bucket: "tagged", Key: "public/a", Body: "g", Tagging: "security=secret" })))).toBe("ok");
    expect(await (await globex.send(new GetObjectCommand({ Bucket: "tagged", Key: "public/a" }))).Body!.transformToString()).toBe("g");
    // A malformed x-amz-tagging under a policy is the caller's 400, not a 5xx.
    expect(await outcome(sdk.send(new PutObjectCommand({ Bucket: "tagged", Key: "public/c", Body: "c", Tagging: "security=public&security=twice" })))).toMatch(/^400 /);
  });
});
