import {
  CreateBucketCommand, DeleteObjectTaggingCommand, GetObjectLegalHoldCommand, GetObjectRetentionCommand, GetObjectTaggingCommand, PutBucketVersioningCommand,
  PutObjectCommand, PutObjectLegalHoldCommand, PutObjectRetentionCommand, PutObjectTaggingCommand, S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";
import { createAccessKey, s3Outcome, sdkClient } from "./sdk-client.ts";

// x-amz-version-id on the object sub-resource answers, as AWS's API model has it.
let fi: TestRegion;
let sdk: S3Client;
let acme: Awaited<ReturnType<typeof registerWithBuckets>>;
const TagSet = [{ Key: "k", Value: "v" }];

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["plainb", "versb", "suspb"]);
  sdk = sdkClient(fi.url, await createAccessKey(fi.url, "acme-corp", { permission: "read-write" }));
  await sdk.send(new PutBucketVersioningCommand({ Bucket: "versb", VersioningConfiguration: { Status: "Enabled" } }));
  await sdk.send(new PutBucketVersioningCommand({ Bucket: "suspb", VersioningConfiguration: { Status: "Suspended" } }));
  await sdk.send(new CreateBucketCommand({ Bucket: "lockb", ObjectLockEnabledForBucket: true }));
});
afterAll(async () => {
  sdk?.destroy();
  await fi?.destroy();
});

describe("version ids on tagging, retention and legal-hold answers", () => {
  it("Put/Get/DeleteObjectTagging name the version they touched: the latest, or the one addressed", async () => {
    const v1 = (await sdk.send(new PutObjectCommand({ Bucket: "versb", Key: "t", Body: "1" }))).VersionId!;
    const v2 = (await sdk.send(new PutObjectCommand({ Bucket: "versb", Key: "t", Body: "2" }))).VersionId!;
    expect(v1).not.toBe(v2);
    expect((await sdk.send(new PutObjectTaggingCommand({ Bucket: "versb", Key: "t", Tagging: { TagSet } }))).VersionId).toBe(v2);
    expect((await sdk.send(new PutObjectTaggingCommand({ Bucket: "versb", Key: "t", VersionId: v1, Tagging: { TagSet } }))).VersionId).toBe(v1);
    const got = await sdk.send(new GetObjectTaggingCommand({ Bucket: "versb", Key: "t", VersionId: v1 }));
    expect([got.VersionId, got.TagSet]).toEqual([v1, TagSet]);
    expect((await sdk.send(new GetObjectTaggingCommand({ Bucket: "versb", Key: "t" }))).VersionId).toBe(v2);
    expect((await sdk.send(new DeleteObjectTaggingCommand({ Bucket: "versb", Key: "t", VersionId: v1 }))).VersionId).toBe(v1);
    expect((await sdk.send(new GetObjectTaggingCommand({ Bucket: "versb", Key: "t", VersionId: v1 }))).TagSet).toEqual([]);
    expect((await sdk.send(new DeleteObjectTaggingCommand({ Bucket: "versb", Key: "t" }))).VersionId).toBe(v2);
  });

  it("an unversioned bucket sends none; a suspended one names its null version", async () => {
    await sdk.send(new PutObjectCommand({ Bucket: "plainb", Key: "t", Body: "p" }));
    for (const res of [
      await acme("/plainb/t?tagging", { method: "PUT", body: "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>" }),
      await acme("/plainb/t?tagging"),
      await acme("/plainb/t?tagging", { method: "DELETE" }),
    ]) {
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get("x-amz-version-id")).toBeNull();
    }
    await sdk.send(new PutObjectCommand({ Bucket: "suspb", Key: "t", Body: "s" }));
    expect((await sdk.send(new PutObjectTaggingCommand({ Bucket: "suspb", Key: "t", Tagging: { TagSet } }))).VersionId).toBe("null");
    expect((await sdk.send(new GetObjectTaggingCommand({ Bucket: "suspb", Key: "t" }))).VersionId).toBe("null");
  });

  it("a missing key or version is refused without naming any version", async () => {
    const missing = await acme("/versb/nope?tagging");
    expect([missing.status, missing.headers.get("x-amz-version-id")]).toEqual([404, null]);
    expect(await s3Outcome(sdk.send(new PutObjectTaggingCommand({ Bucket: "versb", Key: "t", VersionId: "0".repeat(32), Tagging: { TagSet } })))).toMatch(/^(400|404) /);
  });

  it("retention and legal-hold answers carry no version id: AWS's PutObjectRetention/LegalHold outputs have none", async () => {
    const v = (await sdk.send(new PutObjectCommand({ Bucket: "lockb", Key: "r", Body: "r" }))).VersionId!;
    const until = new Date(Date.now() + 60_000);
    const answers = [
      await acme(`/lockb/r?retention&versionId=${v}`, { method: "PUT", body: `<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>${until.toISOString()}</RetainUntilDate></Retention>` }),
      await acme(`/lockb/r?retention&versionId=${v}`),
      await acme(`/lockb/r?legal-hold&versionId=${v}`, { method: "PUT", body: "<LegalHold><Status>ON</Status></LegalHold>" }),
      await acme(`/lockb/r?legal-hold&versionId=${v}`),
    ];
    expect(answers.map((r) => [r.status, r.headers.get("x-amz-version-id")])).toEqual([[200, null], [200, null], [200, null], [200, null]]);
    expect((await sdk.send(new GetObjectRetentionCommand({ Bucket: "lockb", Key: "r", VersionId: v }))).Retention?.Mode).toBe("GOVERNANCE");
    expect((await sdk.send(new GetObjectLegalHoldCommand({ Bucket: "lockb", Key: "r", VersionId: v }))).LegalHold?.Status).toBe("ON");
    await sdk.send(new PutObjectLegalHoldCommand({ Bucket: "lockb", Key: "r", VersionId: v, LegalHold: { Status: "OFF" } }));
    expect(await s3Outcome(sdk.send(new PutObjectRetentionCommand({ Bucket: "lockb", Key: "r", VersionId: v, Retention: { Mode: "GOVERNANCE", RetainUntilDate: new Date(Date.now() + 1000) } })))).toMatch(/^403 /);
  });
});
