import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, GetObjectAttributesCommand, GetObjectCommand, HeadObjectCommand, ListPartsCommand, PutObjectCommand, S3Client, UploadPartCommand, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { completeXml, xmlValue, xmlValues } from "./s3-write-helpers.ts";

const MiB = 1024 * 1024;
let fi: TestRegion;
let acme: ReturnType<typeof s3>;
let sdk: S3Client;

// An independent CRC32 (zlib's), as S3 renders it: the big-endian 4 bytes, base64.
const crc32Bytes = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b));
  return out;
};
const crc32B64 = (b: Buffer | string) => crc32Bytes(Buffer.from(b)).toString("base64");
const composite = (parts: Buffer[]) => `${crc32B64(Buffer.concat(parts.map(crc32Bytes)))}-${parts.length}`;

async function errorOf(res: Response) {
  const body = await res.text();
  return { status: res.status, code: xmlValue(body, "Code") };
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["sums"]);
  const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  sdk = new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key } });
});
afterAll(async () => {
  sdk?.destroy();
  await fi?.destroy();
});

describe("flexible checksums on PutObject", () => {
  it("checks an x-amz-checksum-* header against the bytes, answers with it, and keeps it for x-amz-checksum-mode", async () => {
    const ok = await acme("/sums/ok.txt", { method: "PUT", body: "hello", headers: { "x-amz-checksum-crc32": crc32B64("hello") } });
    expect([ok.status, ok.headers.get("x-amz-checksum-crc32")]).toEqual([200, crc32B64("hello")]);
    const asked = await acme("/sums/ok.txt", { method: "HEAD", headers: { "x-amz-checksum-mode": "ENABLED" } });
    expect([asked.headers.get("x-amz-checksum-crc32"), asked.headers.get("x-amz-checksum-sha256"), asked.headers.get("x-amz-checksum-type")])
      .toEqual([crc32B64("hello"), null, "FULL_OBJECT"]);
    // Without a flexible checksum of its own, an object answers with its SHA-256.
    expect((await acme("/sums/plain.txt", { method: "PUT", body: "plain" })).status).toBe(200);
    expect((await acme("/sums/plain.txt", { method: "HEAD", headers: { "x-amz-checksum-mode": "ENABLED" } })).headers.get("x-amz-checksum-sha256"))
      .toBe(createHash("sha256").update("plain").digest("base64"));
    // Not asked for: no checksum at all, as S3.
    const plain = await acme("/sums/ok.txt", { method: "HEAD" });
    expect([plain.headers.get("x-amz-checksum-crc32"), plain.headers.get("x-amz-checksum-sha256")]).toEqual([null, null]);
    const sha1 = createHash("sha1").update("hello").digest("base64");
    expect((await acme("/sums/ok.txt", { method: "PUT", body: "hello", headers: { "x-amz-checksum-sha1": sha1 } })).headers.get("x-amz-checksum-sha1")).toBe(sha1);
    const put = await sdk.send(new PutObjectCommand({ Bucket: "sums", Key: "sdk.txt", Body: "from the sdk", ChecksumAlgorithm: "CRC32C" }));
    expect(put.ChecksumCRC32C).toBeTruthy();
  });

  it("refuses a wrong, malformed, doubled or unsupported checksum, storing nothing", async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ "x-amz-checksum-crc32": crc32B64("other") }, 400, "BadDigest"],
      [{ "x-amz-checksum-sha256": createHash("sha256").update("other").digest("base64") }, 400, "BadDigest"],
      [{ "x-amz-checksum-crc32": "not base64!" }, 400, "BadDigest"],
      [{ "x-amz-checksum-crc32": Buffer.alloc(8).toString("base64") }, 400, "BadDigest"],
      [{ "x-amz-checksum-crc32": crc32B64("hello"), "x-amz-checksum-crc32c": crc32B64("hello") }, 400, "InvalidRequest"],
      [{ "x-amz-checksum-md5": "AAAA" }, 400, "InvalidRequest"],
      [{ "x-amz-checksum-crc64nvme": "AAAAAAAAAAA=" }, 400, "BadDigest"],
    ];
    for (const [headers, status, code] of cases) {
      expect(await errorOf(await acme("/sums/refused.txt", { method: "PUT", body: "hello", headers })), JSON.stringify(headers)).toEqual({ status, code });
    }
    expect((await acme("/sums/refused.txt", { method: "HEAD" })).status).toBe(404);
  });
});

describe("multipart checksums", () => {
  const parts = [Buffer.alloc(5 * MiB, "p"), Buffer.from("last part")];

  it("CRC32 on create, per part, ListParts, and the COMPOSITE on Complete and under x-amz-checksum-mode", async () => {
    const created = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "sums", Key: "multi.bin", ChecksumAlgorithm: "CRC32" }));
    expect([created.ChecksumAlgorithm, created.ChecksumType]).toEqual(["CRC32", "COMPOSITE"]);
    const UploadId = created.UploadId!;
    const uploaded = [];
    for (const [i, Body] of parts.entries()) {
      const part = await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "multi.bin", UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: "CRC32" }));
      expect(part.ChecksumCRC32).toBe(crc32B64(Body));
      uploaded.push({ PartNumber: i + 1, ETag: part.ETag!, ChecksumCRC32: part.ChecksumCRC32! });
    }
    const listed = await sdk.send(new ListPartsCommand({ Bucket: "sums", Key: "multi.bin", UploadId }));
    expect(listed.Parts?.map((p) => p.ChecksumCRC32)).toEqual(parts.map(crc32B64));
    expect(listed.ChecksumAlgorithm).toBe("CRC32");

    const done = await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "sums", Key: "multi.bin", UploadId, MultipartUpload: { Parts: uploaded } }));
    expect([done.ChecksumCRC32, done.ChecksumType]).toEqual([composite(parts), "COMPOSITE"]);

    const asked = await sdk.send(new HeadObjectCommand({ Bucket: "sums", Key: "multi.bin", ChecksumMode: "ENABLED" }));
    expect([asked.ChecksumCRC32, asked.ChecksumType]).toEqual([composite(parts), "COMPOSITE"]);
    const plain = await acme("/sums/multi.bin", { method: "HEAD" });
    expect(plain.headers.get("x-amz-checksum-crc32")).toBeNull();
    const got = await sdk.send(new GetObjectCommand({ Bucket: "sums", Key: "multi.bin", ChecksumMode: "ENABLED" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
    // A range is not the whole object: no whole-object checksum with it.
    expect((await acme("/sums/multi.bin", { headers: { range: "bytes=0-9", "x-amz-checksum-mode": "ENABLED" } })).headers.get("x-amz-checksum-crc32")).toBeNull();
  });

  it("a part number uploaded again is replaced: the last one wins, in bytes, ETag and checksum", async () => {
    const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "sums", Key: "again.bin", ChecksumAlgorithm: "CRC32" }));
    await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "again.bin", UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, "a"), ChecksumAlgorithm: "CRC32" }));
    const second = await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "again.bin", UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, "b"), ChecksumAlgorithm: "CRC32" }));
    const tail = await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "again.bin", UploadId, PartNumber: 2, Body: Buffer.from("t"), ChecksumAlgorithm: "CRC32" }));
    const listed = await sdk.send(new ListPartsCommand({ Bucket: "sums", Key: "again.bin", UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag])).toEqual([[1, second.ETag], [2, tail.ETag]]);
    const done = await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "sums", Key: "again.bin", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: second.ETag }, { PartNumber: 2, ETag: tail.ETag }] } }));
    expect(done.ChecksumCRC32).toBe(composite([Buffer.alloc(5 * MiB, "b"), Buffer.from("t")]));
    const body = Buffer.from(await (await sdk.send(new GetObjectCommand({ Bucket: "sums", Key: "again.bin" }))).Body!.transformToByteArray());
    expect([body[0], body.length]).toEqual(["b".charCodeAt(0), 5 * MiB + 1]);
  });

  it("refuses forged and mismatched checksums on parts and on Complete", async () => {
    const created = await acme("/sums/forged.bin?uploads", { method: "POST", headers: { "x-amz-checksum-algorithm": "crc32" } });
    const uploadId = xmlValue(await created.text(), "UploadId")!;
    const partPath = (n: number) => `/sums/forged.bin?partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`;
    const big = Buffer.alloc(5 * MiB, "f");
    expect(await errorOf(await acme(partPath(1), { method: "PUT", body: big, headers: { "x-amz-checksum-crc32": crc32B64("not it") } }))).toEqual({ status: 400, code: "BadDigest" });
    expect(await errorOf(await acme(partPath(1), { method: "PUT", body: big, headers: { "x-amz-checksum-sha256": createHash("sha256").update(big).digest("base64") } }))).toEqual({ status: 400, code: "InvalidRequest" });
    expect(xmlValues(await (await acme(`/sums/forged.bin?uploadId=${encodeURIComponent(uploadId)}`)).text(), "PartNumber")).toEqual([]);
    // No checksum sent: the gateway computes the upload's own.
    const p1 = await acme(partPath(1), { method: "PUT", body: big });
    expect(p1.headers.get("x-amz-checksum-crc32")).toBe(crc32B64(big));
    const p2 = await acme(partPath(2), { method: "PUT", body: "end", headers: { "x-amz-checksum-crc32": crc32B64("end") } });
    const etags = [p1.headers.get("etag")!, p2.headers.get("etag")!];
    const complete = (extra: string[]) => acme(`/sums/forged.bin?uploadId=${encodeURIComponent(uploadId)}`, {
      method: "POST",
      body: completeXml(etags.map((etag, i) => ({ n: i + 1, etag }))).replace(/<\/ETag>/g, () => `</ETag>${extra.shift() ?? ""}`),
    });
    expect(await errorOf(await complete([`<ChecksumCRC32>${crc32B64("forged")}</ChecksumCRC32>`]))).toEqual({ status: 400, code: "InvalidPart" });
    expect(await errorOf(await complete([`<ChecksumSHA256>${createHash("sha256").update(big).digest("base64")}</ChecksumSHA256>`]))).toEqual({ status: 400, code: "InvalidRequest" });
    expect(await errorOf(await complete(["<ChecksumMD5>x</ChecksumMD5>"]))).toEqual({ status: 400, code: "InvalidRequest" });
    const done = await complete([`<ChecksumCRC32>${crc32B64(big)}</ChecksumCRC32>`, `<ChecksumCRC32>${crc32B64("end")}</ChecksumCRC32>`]);
    expect(done.status).toBe(200);
    expect(xmlValue(await done.text(), "ChecksumCRC32")).toBe(composite([big, Buffer.from("end")]));
  });

  it("refuses checksum types and algorithms it does not serve at create", async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ "x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE" }, 400, "InvalidRequest"],
      [{ "x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-type": "FULL_OBJECT" }, 400, "InvalidRequest"],
      [{ "x-amz-checksum-algorithm": "MD5" }, 400, "InvalidRequest"],
      [{ "x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "PARTIAL" }, 400, "InvalidRequest"],
      [{ "x-amz-checksum-type": "COMPOSITE" }, 400, "InvalidRequest"],
    ];
    for (const [headers, status, code] of cases) {
      expect(await errorOf(await acme("/sums/refused.bin?uploads", { method: "POST", headers })), JSON.stringify(headers)).toEqual({ status, code });
    }
    expect(xmlValues(await (await acme("/sums?uploads")).text(), "Key")).not.toContain("refused.bin");
  });
});

describe("checksums of a completed upload elsewhere", () => {
  it("GetObjectAttributes reports the checksum an object was written with, as HEAD does", async () => {
    const got = await sdk.send(new GetObjectAttributesCommand({ Bucket: "sums", Key: "multi.bin", ObjectAttributes: ["Checksum"] }));
    expect(got.Checksum?.ChecksumCRC32).toMatch(/-2$/);
    expect(got.Checksum?.ChecksumType).toBe("COMPOSITE");
    expect(got.Checksum?.ChecksumSHA256).toBeUndefined();
    await acme("/sums/single-crc.txt", { method: "PUT", body: "one", headers: { "x-amz-checksum-crc32": crc32B64("one") } });
    const single = await sdk.send(new GetObjectAttributesCommand({ Bucket: "sums", Key: "single-crc.txt", ObjectAttributes: ["Checksum"] }));
    expect(single.Checksum).toEqual({ ChecksumCRC32: crc32B64("one"), ChecksumType: "FULL_OBJECT" });
  });

  it("a copy of a multipart object does not answer its source's composite checksum", async () => {
    await sdk.send(new CopyObjectCommand({ Bucket: "sums", Key: "copied.bin", CopySource: "sums/multi.bin" }));
    const head = await acme("/sums/copied.bin", { method: "HEAD", headers: { "x-amz-checksum-mode": "ENABLED" } });
    expect(head.status).toBe(200);
    expect(head.headers.get("x-amz-checksum-crc32")).toBeNull();
  });
});

describe("CompleteMultipartUpload retried", () => {
  it("the same part list is answered again as the first time; anything else is NoSuchUpload", async () => {
    const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "sums", Key: "retried.bin", ChecksumAlgorithm: "CRC32" }));
    const p1 = await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "retried.bin", UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB, "r"), ChecksumAlgorithm: "CRC32" }));
    const p2 = await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "retried.bin", UploadId, PartNumber: 2, Body: Buffer.from("end"), ChecksumAlgorithm: "CRC32" }));
    const Parts = [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }];
    const first = await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "sums", Key: "retried.bin", UploadId, MultipartUpload: { Parts } }));
    const again = await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "sums", Key: "retried.bin", UploadId, MultipartUpload: { Parts } }));
    expect([again.ETag, again.ChecksumCRC32, again.Key]).toEqual([first.ETag, first.ChecksumCRC32, "retried.bin"]);
    // ETags compare as S3 compares them: quotes and case do not matter.
    const path = `/sums/retried.bin?uploadId=${encodeURIComponent(UploadId!)}`;
    const unquoted = completeXml(Parts.map((p) => ({ n: p.PartNumber, etag: p.ETag!.replace(/"/g, "").toUpperCase() })));
    expect((await acme(path, { method: "POST", body: unquoted })).status).toBe(200);

    const others: [string, string][] = [
      ["another list", completeXml([{ n: 1, etag: p1.ETag! }])],
      ["another order", completeXml([{ n: 2, etag: p2.ETag! }, { n: 1, etag: p1.ETag! }])],
    ];
    for (const [name, body] of others) expect(await errorOf(await acme(path, { method: "POST", body })), name).toEqual({ status: 404, code: "NoSuchUpload" });
    // Another key, another customer: never this upload.
    expect(await errorOf(await acme(`/sums/other.bin?uploadId=${encodeURIComponent(UploadId!)}`, { method: "POST", body: unquoted }))).toEqual({ status: 404, code: "NoSuchUpload" });
    const globex = await registerWithBuckets(fi.url, "globex", ["sums-g"]);
    expect(await errorOf(await globex(`/sums-g/retried.bin?uploadId=${encodeURIComponent(UploadId!)}`, { method: "POST", body: unquoted }))).toEqual({ status: 404, code: "NoSuchUpload" });
    // Once the object is gone, the completion is not answered again.
    expect((await acme("/sums/retried.bin", { method: "DELETE" })).status).toBe(204);
    expect(await errorOf(await acme(path, { method: "POST", body: unquoted }))).toEqual({ status: 404, code: "NoSuchUpload" });
  });
});

describe("FULL_OBJECT CRCs and the Complete's own checksum", () => {
  it("a FULL_OBJECT CRC32 is the CRC of the whole object, combined from the parts' without reading them again", async () => {
    const parts = [Buffer.alloc(5 * MiB, "x"), Buffer.alloc(5 * MiB + 17, "y"), Buffer.from("z")];
    const created = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "sums", Key: "full.bin", ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT" }));
    expect([created.ChecksumAlgorithm, created.ChecksumType]).toEqual(["CRC32", "FULL_OBJECT"]);
    const UploadId = created.UploadId!;
    const listed = [];
    for (const [i, Body] of parts.entries()) {
      const p = await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "full.bin", UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: "CRC32" }));
      listed.push({ PartNumber: i + 1, ETag: p.ETag!, ChecksumCRC32: p.ChecksumCRC32! });
    }
    const whole = crc32B64(Buffer.concat(parts));
    // The client's expectation of the whole is checked before anything is completed.
    await expect(sdk.send(new CompleteMultipartUploadCommand({ Bucket: "sums", Key: "full.bin", UploadId, ChecksumCRC32: crc32B64("wrong"), MultipartUpload: { Parts: listed } })))
      .rejects.toMatchObject({ name: "BadDigest" });
    const done = await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "sums", Key: "full.bin", UploadId, ChecksumCRC32: whole, MultipartUpload: { Parts: listed } }));
    expect([done.ChecksumCRC32, done.ChecksumType]).toEqual([whole, "FULL_OBJECT"]);
    const head = await sdk.send(new HeadObjectCommand({ Bucket: "sums", Key: "full.bin", ChecksumMode: "ENABLED" }));
    expect([head.ChecksumCRC32, head.ChecksumType]).toEqual([whole, "FULL_OBJECT"]);
    // The SDK checks a full-object CRC32 on GET itself.
    const got = await sdk.send(new GetObjectCommand({ Bucket: "sums", Key: "full.bin", ChecksumMode: "ENABLED" }));
    expect((await got.Body!.transformToByteArray()).length).toBe(10 * MiB + 18);
  });
});

describe("CRC64NVME", () => {
  // The values ceph/s3-tests checks against: 1024 bytes of "A".
  const body = Buffer.alloc(1024, "A");
  const crc64 = "Qeh8oXvGiSo=";

  it("a PutObject's CRC64NVME is checked, answered and kept", async () => {
    const put = await acme("/sums/c64.bin", { method: "PUT", body, headers: { "x-amz-checksum-crc64nvme": crc64 } });
    expect([put.status, put.headers.get("x-amz-checksum-crc64nvme")]).toEqual([200, crc64]);
    expect((await acme("/sums/c64.bin", { method: "HEAD", headers: { "x-amz-checksum-mode": "ENABLED" } })).headers.get("x-amz-checksum-crc64nvme")).toBe(crc64);
    expect(await errorOf(await acme("/sums/c64.bin", { method: "PUT", body: Buffer.alloc(1024, "B"), headers: { "x-amz-checksum-crc64nvme": crc64 } }))).toEqual({ status: 400, code: "BadDigest" });
    // The SDK computes it itself (in a trailer) and checks the answer.
    const sdkPut = await sdk.send(new PutObjectCommand({ Bucket: "sums", Key: "c64-sdk.bin", Body: body, ChecksumAlgorithm: "CRC64NVME" }));
    expect(sdkPut.ChecksumCRC64NVME).toBe(crc64);
  });

  it("a multipart upload's CRC64NVME is FULL_OBJECT: the whole object's CRC", async () => {
    const parts = [Buffer.alloc(5 * MiB, "A"), Buffer.alloc(5 * MiB, "B"), Buffer.from("tail")];
    const created = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "sums", Key: "c64-multi.bin", ChecksumAlgorithm: "CRC64NVME" }));
    expect([created.ChecksumAlgorithm, created.ChecksumType]).toEqual(["CRC64NVME", "FULL_OBJECT"]);
    const listed = [];
    for (const [i, Body] of parts.entries()) {
      const p = await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "c64-multi.bin", UploadId: created.UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: "CRC64NVME" }));
      listed.push({ PartNumber: i + 1, ETag: p.ETag!, ChecksumCRC64NVME: p.ChecksumCRC64NVME! });
    }
    const done = await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "sums", Key: "c64-multi.bin", UploadId: created.UploadId, MultipartUpload: { Parts: listed } }));
    // The whole object's CRC, as a single PUT of the same bytes answers it.
    const single = await sdk.send(new PutObjectCommand({ Bucket: "sums", Key: "c64-whole.bin", Body: Buffer.concat(parts), ChecksumAlgorithm: "CRC64NVME" }));
    expect([done.ChecksumCRC64NVME, done.ChecksumType]).toEqual([single.ChecksumCRC64NVME, "FULL_OBJECT"]);
    const got = await sdk.send(new GetObjectCommand({ Bucket: "sums", Key: "c64-multi.bin", ChecksumMode: "ENABLED" }));
    expect((await got.Body!.transformToByteArray()).length).toBe(10 * MiB + 4);
  });
});

describe("UploadPartCopy in an upload with a checksum algorithm", () => {
  it("checksums the copied bytes in the upload's algorithm, answers it in CopyPartResult, and the object gets its composite", async () => {
    const src = Buffer.alloc(6 * MiB, "c");
    src.write("distinct head", 0);
    await sdk.send(new PutObjectCommand({ Bucket: "sums", Key: "copy-src.bin", Body: src }));
    const sha = (b: Buffer) => createHash("sha256").update(b).digest();
    const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "sums", Key: "copied-sha.bin", ChecksumAlgorithm: "SHA256" }));
    const p1 = await sdk.send(new UploadPartCopyCommand({ Bucket: "sums", Key: "copied-sha.bin", UploadId, PartNumber: 1, CopySource: "sums/copy-src.bin", CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    const first = src.subarray(0, 5 * MiB);
    expect(p1.CopyPartResult?.ChecksumSHA256).toBe(sha(first).toString("base64"));
    const p2 = await sdk.send(new UploadPartCommand({ Bucket: "sums", Key: "copied-sha.bin", UploadId, PartNumber: 2, Body: "end", ChecksumAlgorithm: "SHA256" }));
    const done = await sdk.send(new CompleteMultipartUploadCommand({
      Bucket: "sums", Key: "copied-sha.bin", UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult!.ETag, ChecksumSHA256: p1.CopyPartResult!.ChecksumSHA256 }, { PartNumber: 2, ETag: p2.ETag, ChecksumSHA256: p2.ChecksumSHA256 }] },
    }));
    expect(done.ChecksumSHA256).toBe(`${sha(Buffer.concat([sha(first), sha(Buffer.from("end"))])).toString("base64")}-2`);

    // A CRC32 upload: the copied range's CRC32, and a Complete listing a wrong one is refused.
    const crcUp = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "sums", Key: "copied-crc.bin", ChecksumAlgorithm: "CRC32" }));
    const c1 = await sdk.send(new UploadPartCopyCommand({ Bucket: "sums", Key: "copied-crc.bin", UploadId: crcUp.UploadId, PartNumber: 1, CopySource: "sums/copy-src.bin", CopySourceRange: "bytes=0-12" }));
    expect(c1.CopyPartResult?.ChecksumCRC32).toBe(crc32B64(src.subarray(0, 13)));
    const wrong = await acme(`/sums/copied-crc.bin?uploadId=${crcUp.UploadId}`, { method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${c1.CopyPartResult!.ETag}</ETag><ChecksumCRC32>${crc32B64("x")}</ChecksumCRC32></Part></CompleteMultipartUpload>` });
    expect(await errorOf(wrong)).toEqual({ status: 400, code: "InvalidPart" });

    // Without an algorithm nothing is computed or answered.
    const plain = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "sums", Key: "copied-plain.bin" }));
    const n1 = await sdk.send(new UploadPartCopyCommand({ Bucket: "sums", Key: "copied-plain.bin", UploadId: plain.UploadId, PartNumber: 1, CopySource: "sums/copy-src.bin" }));
    expect([n1.CopyPartResult?.ChecksumSHA256, n1.CopyPartResult?.ChecksumCRC32]).toEqual([undefined, undefined]);
  });
});
