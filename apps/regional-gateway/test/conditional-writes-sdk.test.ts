import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, GetObjectTaggingCommand, GetObjectTorrentCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";
import { s3Outcome as outcome, sdkFor } from "./sdk-client.ts";

// Conditional writes with ETags (AWS, 2024), driven by the AWS SDK as a customer would.
let fi: TestRegion;
let sdk: S3Client;
let other: S3Client;


beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sdk = await sdkFor(fi.url, "acme-corp", ["plain", "versioned"]);
  other = await sdkFor(fi.url, "globex", ["plain"]);
  await sdk.send(new PutBucketVersioningCommand({ Bucket: "versioned", VersioningConfiguration: { Status: "Enabled" } }));
});
afterAll(() => fi?.destroy());


const put = (client: S3Client, Bucket: string, Key: string, Body: string, cond: { IfMatch?: string; IfNoneMatch?: string } = {}) =>
  client.send(new PutObjectCommand({ Bucket, Key, Body, ...cond }));
const read = async (Bucket: string, Key: string) => (await sdk.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();

describe("conditional PutObject with ETags", () => {
  it("If-None-Match: <etag> refuses only the current version's ETag; If-Match the others", async () => {
    const { ETag: first } = await put(sdk, "plain", "k", "one", { IfNoneMatch: "*" });
    expect(await outcome(put(sdk, "plain", "k", "x", { IfNoneMatch: "*" }))).toBe("412 PreconditionFailed");
    expect(await outcome(put(sdk, "plain", "k", "x", { IfNoneMatch: first }))).toBe("412 PreconditionFailed");
    expect(await outcome(put(sdk, "plain", "k", "two", { IfNoneMatch: "badetag" }))).toBe("ok");
    expect(await outcome(put(sdk, "plain", "k", "x", { IfMatch: first }))).toBe("412 PreconditionFailed");
    expect(await read("plain", "k")).toBe("two");
  });

  it("in a versioned bucket only the current version counts; a delete marker is a missing key (404)", async () => {
    const { ETag: v1 } = await put(sdk, "versioned", "k", "data1", { IfNoneMatch: "deadbeef" });
    const { ETag: v2 } = await put(sdk, "versioned", "k", "data2", { IfMatch: "*" });
    expect(await outcome(put(sdk, "versioned", "k", "x", { IfMatch: v1 }))).toBe("412 PreconditionFailed");
    expect(await outcome(put(sdk, "versioned", "k", "x", { IfNoneMatch: v2 }))).toBe("412 PreconditionFailed");
    expect(await outcome(put(sdk, "versioned", "k", "data3", { IfNoneMatch: v1 }))).toBe("ok");
    await sdk.send(new DeleteObjectCommand({ Bucket: "versioned", Key: "k" }));
    expect(await outcome(put(sdk, "versioned", "k", "x", { IfMatch: "*" }))).toBe("404 NoSuchKey");
    expect(await outcome(put(sdk, "versioned", "k", "x", { IfMatch: v2 }))).toBe("404 NoSuchKey");
    expect(await outcome(put(sdk, "versioned", "k", "data4", { IfNoneMatch: "*" }))).toBe("ok");
  });

  it("another customer's object of the same bucket and key name is never the one compared", async () => {
    const { ETag: mine } = await put(sdk, "plain", "shared-name", "acme");
    // globex has its own "plain": acme's ETag matches nothing there, and its key is missing.
    expect(await outcome(put(other, "plain", "shared-name", "x", { IfMatch: mine }))).toBe("404 NoSuchKey");
    expect(await outcome(put(other, "plain", "shared-name", "globex", { IfNoneMatch: "*" }))).toBe("ok");
    expect(await outcome(put(other, "plain", "shared-name", "x", { IfNoneMatch: mine }))).toBe("ok");
    expect(await read("plain", "shared-name")).toBe("acme");
  });
});

describe("conditional CompleteMultipartUpload with ETags", () => {
  async function upload(Key: string, body: string) {
    const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "plain", Key }));
    const { ETag } = await sdk.send(new UploadPartCommand({ Bucket: "plain", Key, UploadId, PartNumber: 1, Body: body }));
    return (cond: { IfMatch?: string; IfNoneMatch?: string }) =>
      sdk.send(new CompleteMultipartUploadCommand({ Bucket: "plain", Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] }, ...cond }));
  }

  it("completes over the named current version only, and the upload survives a failed condition", async () => {
    const { ETag: current } = await put(sdk, "plain", "mp", "before");
    const complete = await upload("mp", "after");
    expect(await outcome(complete({ IfNoneMatch: current }))).toBe("412 PreconditionFailed");
    expect(await outcome(complete({ IfMatch: '"0123456789abcdef0123456789abcdef"' }))).toBe("412 PreconditionFailed");
    expect(await read("plain", "mp")).toBe("before");
    expect(await outcome(complete({ IfMatch: current }))).toBe("ok");
    expect(await read("plain", "mp")).toBe("after");
  });

  it("CreateMultipartUpload's x-amz-tagging lands on the completed object", async () => {
    const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "plain", Key: "mp-tagged", Tagging: "Hello=World&foo=bar" }));
    const { ETag } = await sdk.send(new UploadPartCommand({ Bucket: "plain", Key: "mp-tagged", UploadId, PartNumber: 1, Body: "x" }));
    await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "plain", Key: "mp-tagged", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    expect((await sdk.send(new GetObjectTaggingCommand({ Bucket: "plain", Key: "mp-tagged" }))).TagSet).toEqual([{ Key: "Hello", Value: "World" }, { Key: "foo", Value: "bar" }]);
  });
});

describe("GetObjectTorrent", () => {
  it("is 404 NoSuchKey (no torrents are served), NoSuchBucket for a bucket the caller does not have", async () => {
    await put(sdk, "plain", "movie.mpg", "A".repeat(1024));
    expect(await outcome(sdk.send(new GetObjectTorrentCommand({ Bucket: "plain", Key: "movie.mpg" })))).toBe("404 NoSuchKey");
    expect(await outcome(sdk.send(new GetObjectTorrentCommand({ Bucket: "plain", Key: "absent" })))).toBe("404 NoSuchKey");
    expect(await outcome(sdk.send(new GetObjectTorrentCommand({ Bucket: "versioned-nope", Key: "movie.mpg" })))).toBe("404 NoSuchBucket");
    // globex has a bucket of the same name but never sees acme's object through it.
    expect(await outcome(other.send(new GetObjectTorrentCommand({ Bucket: "plain", Key: "movie.mpg" })))).toBe("404 NoSuchKey");
  });
});
