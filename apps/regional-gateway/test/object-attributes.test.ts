import { createHash } from "node:crypto";
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectAttributesCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

const MiB = 1024 * 1024;
let fi: TestRegion;
let acme: ReturnType<typeof s3>;
let sdk: S3Client;
const parts = [Buffer.alloc(5 * MiB, "x"), Buffer.alloc(5 * MiB, "y"), Buffer.alloc(5 * MiB, "z"), Buffer.from("tail")];
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest();

async function errorOf(res: Response) {
  const body = await res.text();
  return { status: res.status, code: xmlValue(body, "Code") };
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["docs"]);
  const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  sdk = new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key } });
  const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "docs", Key: "multi.bin" }));
  const etags: string[] = [];
  for (const [i, body] of parts.entries()) etags.push((await sdk.send(new UploadPartCommand({ Bucket: "docs", Key: "multi.bin", UploadId, PartNumber: i + 1, Body: body }))).ETag!);
  await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "docs", Key: "multi.bin", UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
  expect((await acme("/docs/simple.txt", { method: "PUT", body: "simple body" })).status).toBe(200);
});
afterAll(async () => {
  sdk?.destroy();
  await fi?.destroy();
});

describe("GetObjectAttributes", () => {
  it("answers each attribute asked for, of an object uploaded whole", async () => {
    const got = await sdk.send(new GetObjectAttributesCommand({ Bucket: "docs", Key: "simple.txt", ObjectAttributes: ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"] }));
    expect(got.ETag).toBe(createHash("md5").update("simple body").digest("hex"));
    expect(got.Checksum).toEqual({ ChecksumSHA256: sha256("simple body").toString("base64"), ChecksumType: "FULL_OBJECT" });
    expect(got.ObjectParts).toBeUndefined();
    expect([got.StorageClass, got.ObjectSize]).toEqual(["STANDARD", 11]);
    expect(got.LastModified).toBeInstanceOf(Date);
    const only = await sdk.send(new GetObjectAttributesCommand({ Bucket: "docs", Key: "simple.txt", ObjectAttributes: ["ObjectSize"] }));
    expect([only.ObjectSize, only.ETag, only.Checksum, only.StorageClass]).toEqual([11, undefined, undefined, undefined]);
  });

  it("lists a multipart object's parts, paged by max-parts and part-number-marker", async () => {
    const all = await sdk.send(new GetObjectAttributesCommand({ Bucket: "docs", Key: "multi.bin", ObjectAttributes: ["ETag", "Checksum", "ObjectParts", "ObjectSize"] }));
    expect(all.ETag).toMatch(/^[0-9a-f]{32}-4$/);
    expect(all.Checksum?.ChecksumType).toBe("COMPOSITE");
    expect(all.Checksum?.ChecksumSHA256).toMatch(/-4$/);
    expect(all.ObjectSize).toBe(15 * MiB + 4);
    expect(all.ObjectParts?.TotalPartsCount).toBe(4);
    expect(all.ObjectParts?.IsTruncated).toBe(false);
    // The parts' SHA-256s are the gateway's own digests, not checksums the client asked for.
    expect(all.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumSHA256])).toEqual(parts.map((b, i) => [i + 1, b.length, undefined]));

    const first = await sdk.send(new GetObjectAttributesCommand({ Bucket: "docs", Key: "multi.bin", ObjectAttributes: ["ObjectParts"], MaxParts: 3 }));
    expect(first.ObjectParts?.Parts?.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    expect([first.ObjectParts?.IsTruncated, first.ObjectParts?.NextPartNumberMarker, first.ObjectParts?.MaxParts]).toEqual([true, "3", 3]);
    const rest = await sdk.send(new GetObjectAttributesCommand({ Bucket: "docs", Key: "multi.bin", ObjectAttributes: ["ObjectParts"], MaxParts: 3, PartNumberMarker: "3" }));
    expect(rest.ObjectParts?.Parts?.map((p) => p.PartNumber)).toEqual([4]);
    expect([rest.ObjectParts?.IsTruncated, rest.ObjectParts?.PartNumberMarker]).toEqual([false, "3"]);
  });

  it("an upload made with ChecksumAlgorithm SHA256 answers the composite ChecksumSHA256 and each part's own (test_get_multipart_checksum_object_attributes)", async () => {
    const mp = async (Key: string, ChecksumAlgorithm: "SHA256" | "CRC32", bodies: Buffer[]) => {
      const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "docs", Key, ChecksumAlgorithm }));
      const listed = [];
      for (const [i, Body] of bodies.entries()) {
        const r = await sdk.send(new UploadPartCommand({ Bucket: "docs", Key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm }));
        listed.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumSHA256: r.ChecksumSHA256, ChecksumCRC32: r.ChecksumCRC32 });
      }
      return sdk.send(new CompleteMultipartUploadCommand({ Bucket: "docs", Key, UploadId, MultipartUpload: { Parts: listed } }));
    };
    const bodies = [Buffer.alloc(5 * MiB, "s"), Buffer.from("second")];
    const done = await mp("sha.bin", "SHA256", bodies);
    const composite = `${sha256(Buffer.concat(bodies.map((b) => sha256(b)))).toString("base64")}-2`;
    expect(done.ChecksumSHA256).toBe(composite);
    const got = await sdk.send(new GetObjectAttributesCommand({ Bucket: "docs", Key: "sha.bin", ObjectAttributes: ["Checksum", "ObjectParts"] }));
    expect(got.Checksum).toEqual({ ChecksumSHA256: composite, ChecksumType: "COMPOSITE" });
    expect(got.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumSHA256])).toEqual(bodies.map((b, i) => [i + 1, b.length, sha256(b).toString("base64")]));
    // A page after the marker keeps them.
    const page = await sdk.send(new GetObjectAttributesCommand({ Bucket: "docs", Key: "sha.bin", ObjectAttributes: ["ObjectParts"], PartNumberMarker: "1" }));
    expect(page.ObjectParts?.Parts?.map((p) => p.ChecksumSHA256)).toEqual([sha256(bodies[1]!).toString("base64")]);
    // Another algorithm: the object's CRC32 is answered; its parts' CRCs are not kept, so none is listed (never a SHA-256 under a CRC's name).
    await mp("crc.bin", "CRC32", bodies);
    const crc = await sdk.send(new GetObjectAttributesCommand({ Bucket: "docs", Key: "crc.bin", ObjectAttributes: ["Checksum", "ObjectParts"] }));
    expect([crc.Checksum?.ChecksumCRC32 !== undefined, crc.Checksum?.ChecksumSHA256]).toEqual([true, undefined]);
    expect(crc.ObjectParts?.Parts?.map((p) => [p.ChecksumSHA256, p.ChecksumCRC32])).toEqual([[undefined, undefined], [undefined, undefined]]);
  });

  it("refuses missing, unknown and malformed attribute requests; never reaches another customer", async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, "InvalidArgument"],
      [{ "x-amz-object-attributes": "" }, "InvalidArgument"],
      [{ "x-amz-object-attributes": "ETag,Owner" }, "InvalidArgument"],
      [{ "x-amz-object-attributes": "etag" }, "InvalidArgument"],
      [{ "x-amz-object-attributes": "ObjectParts", "x-amz-max-parts": "-1" }, "InvalidArgument"],
      [{ "x-amz-object-attributes": "ObjectParts", "x-amz-max-parts": "1001" }, "InvalidArgument"],
      [{ "x-amz-object-attributes": "ObjectParts", "x-amz-part-number-marker": "abc" }, "InvalidArgument"],
    ];
    for (const [headers, code] of cases) {
      expect(await errorOf(await acme("/docs/multi.bin?attributes", { headers })), JSON.stringify(headers)).toEqual({ status: 400, code });
    }
    expect(await errorOf(await acme("/docs/none?attributes", { headers: { "x-amz-object-attributes": "ETag" } }))).toEqual({ status: 404, code: "NoSuchKey" });
    const globex = await registerWithBuckets(fi.url, "globex", ["docs-g"]);
    expect(await errorOf(await globex("/docs/multi.bin?attributes", { headers: { "x-amz-object-attributes": "ETag" } }))).toEqual({ status: 404, code: "NoSuchBucket" });
    // On a bucket it is not an operation.
    expect((await errorOf(await acme("/docs?attributes", { headers: { "x-amz-object-attributes": "ETag" } }))).status).toBe(400);
  });
});
