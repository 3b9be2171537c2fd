import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

const MiB = 1024 * 1024;
let fi: TestRegion;
let acme: ReturnType<typeof s3>;
let sdk: S3Client;
let creds: { accessKeyId: string; secretAccessKey: string };
const parts = [Buffer.alloc(5 * MiB, "a"), Buffer.alloc(5 * MiB + 3, "b"), Buffer.from("the last part")];
const whole = Buffer.concat(parts);

/** SHA-256 for smithy's signer, from node:crypto (an independent signer: none of the gateway's code). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) => (typeof d === "string" ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d));
class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) { this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret)); }
  update(data: SourceData) { this.h.update(bytes(data)); }
  digest() { return Promise.resolve(new Uint8Array(this.h.digest())); }
}

// A presigned URL's payload is unsigned; smithy takes the hash from this header and leaves it out of the URL.
const PAYLOAD = "x-amz-content-sha256";

/** A presigned GET URL for a path with the given (unencoded) query parameters. */
async function presignGet(path: string, query: Record<string, string>): Promise<string> {
  const url = new URL(fi.url);
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: creds, sha256: Sha256 });
  const signed = await signer.presign({ method: "GET", protocol: "http:", hostname: url.hostname, port: Number(url.port), path, query, headers: { host: url.host, [PAYLOAD]: "UNSIGNED-PAYLOAD" } },
    { expiresIn: 60, unsignableHeaders: new Set([PAYLOAD]), unhoistableHeaders: new Set([PAYLOAD]) });
  const qs = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join("&");
  return `${fi.url}${path}?${qs}`;
}

async function errorOf(res: Response) {
  const body = await res.text();
  return { status: res.status, code: xmlValue(body, "Code") };
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["media"]);
  const res = await fetch(`${fi.url}/api/customers/acme-corp/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  creds = { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
  sdk = new S3Client({ endpoint: fi.url, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: creds });

  const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: "media", Key: "big.bin" }));
  const etags: string[] = [];
  for (const [i, body] of parts.entries()) etags.push((await sdk.send(new UploadPartCommand({ Bucket: "media", Key: "big.bin", UploadId, PartNumber: i + 1, Body: body }))).ETag!);
  await sdk.send(new CompleteMultipartUploadCommand({ Bucket: "media", Key: "big.bin", UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
  expect((await acme("/media/small.txt", { method: "PUT", body: "small body" })).status).toBe(200);
  expect((await acme("/media/empty.txt", { method: "PUT", body: "" })).status).toBe(200);
});
afterAll(async () => {
  sdk?.destroy();
  await fi?.destroy();
});

describe("GET and HEAD with partNumber", () => {
  it("serves a multipart object's part as a 206 range of the whole, with PartsCount", async () => {
    let offset = 0;
    const objectEtag = (await acme("/media/big.bin", { method: "HEAD" })).headers.get("etag");
    for (const [i, part] of parts.entries()) {
      const res = await acme(`/media/big.bin?partNumber=${i + 1}`);
      expect(res.status).toBe(206);
      expect(res.headers.get("x-amz-mp-parts-count")).toBe("3");
      expect(res.headers.get("content-range")).toBe(`bytes ${offset}-${offset + part.length - 1}/${whole.length}`);
      // A part read answers with the part's own ETag.
      expect(res.headers.get("etag")).toBe(`"${createHash("md5").update(part).digest("hex")}"`);
      expect(res.headers.get("etag")).not.toBe(objectEtag);
      expect(Buffer.from(await res.arrayBuffer()).equals(part)).toBe(true);
      const head = await acme(`/media/big.bin?partNumber=${i + 1}`, { method: "HEAD" });
      expect([head.status, head.headers.get("content-length"), head.headers.get("x-amz-mp-parts-count")]).toEqual([206, String(part.length), "3"]);
      offset += part.length;
    }
    const got = await sdk.send(new GetObjectCommand({ Bucket: "media", Key: "big.bin", PartNumber: 2 }));
    expect(got.PartsCount).toBe(3);
    expect(got.ContentLength).toBe(parts[1]!.length);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(parts[1]!)).toBe(true);
    expect((await sdk.send(new HeadObjectCommand({ Bucket: "media", Key: "big.bin", PartNumber: 3 }))).PartsCount).toBe(3);
  });

  it("an object uploaded whole is its own part 1; part 2 of it, or past the last part, is InvalidPart", async () => {
    const one = await acme("/media/small.txt?partNumber=1");
    expect(await one.text()).toBe("small body");
    expect(one.headers.get("x-amz-mp-parts-count")).toBeNull();
    expect((await acme("/media/empty.txt?partNumber=1")).status).toBe(200);
    for (const path of ["/media/small.txt?partNumber=2", "/media/big.bin?partNumber=4", "/media/big.bin?partNumber=10000"]) {
      const res = await acme(path);
      expect(res.headers.get("content-range"), path).toMatch(/^bytes \*\/\d+$/);
      expect(await errorOf(res), path).toEqual({ status: 400, code: "InvalidPart" });
    }
    await expect(sdk.send(new GetObjectCommand({ Bucket: "media", Key: "big.bin", PartNumber: 9 }))).rejects.toMatchObject({ name: "InvalidPart", $metadata: { httpStatusCode: 400 } });
  });

  it("refuses forged and malformed part numbers, and a Range with a partNumber", async () => {
    for (const value of ["0", "-1", "1.0", "abc", "10001", "", "99999999999999999999", "1&partNumber=2"]) {
      expect(await errorOf(await acme(`/media/big.bin?partNumber=${value}`)), value).toEqual({ status: 400, code: "InvalidArgument" });
    }
    expect(await errorOf(await acme("/media/big.bin?partNumber=1", { headers: { range: "bytes=0-1" } }))).toEqual({ status: 400, code: "InvalidRequest" });
    // Another customer's object is not reached by its part number.
    const other = await registerWithBuckets(fi.url, "globex", ["media-g"]);
    expect((await other("/media/big.bin?partNumber=1")).status).toBe(404);
  });
});

describe("response-* overrides", () => {
  const query = "response-content-type=text%2Fplain&response-content-language=fi&response-expires=Thu%2C%2001%20Dec%202030%2016%3A00%3A00%20GMT"
    + "&response-cache-control=no-cache&response-content-disposition=attachment%3B%20filename%3D%22a.txt%22&response-content-encoding=identity";

  it("replace the stored headers on signed GETs and HEADs, without changing what is stored", async () => {
    const got = await sdk.send(new GetObjectCommand({
      Bucket: "media", Key: "small.txt", ResponseContentType: "text/plain", ResponseContentLanguage: "fi", ResponseExpires: new Date("2030-12-01T16:00:00Z"),
      ResponseCacheControl: "no-cache", ResponseContentDisposition: 'attachment; filename="a.txt"', ResponseContentEncoding: "identity",
    }));
    expect([got.ContentType, got.ContentLanguage, got.CacheControl, got.ContentDisposition, got.ContentEncoding]).toEqual(["text/plain", "fi", "no-cache", 'attachment; filename="a.txt"', "identity"]);
    expect(got.ExpiresString).toBe("Sun, 01 Dec 2030 16:00:00 GMT");
    expect(await got.Body!.transformToString()).toBe("small body");
    const head = await acme(`/media/small.txt?${query}`, { method: "HEAD" });
    expect(head.headers.get("content-disposition")).toBe('attachment; filename="a.txt"');
    expect((await acme("/media/small.txt", { method: "HEAD" })).headers.get("content-type")).toBe("text/plain;charset=UTF-8");
    // With a part too.
    expect((await acme(`/media/big.bin?partNumber=3&response-content-type=x%2Fy`)).headers.get("content-type")).toBe("x/y");
  });

  it("work on presigned GETs, and are covered by the signature", async () => {
    const url = await presignGet("/media/small.txt", { "response-content-type": "text/csv" });
    const res = await fetch(url);
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/csv"]);
    const tampered = await fetch(url.replace("text%2Fcsv", "text%2Fhtml"));
    expect(await errorOf(tampered)).toEqual({ status: 403, code: "SignatureDoesNotMatch" });
  });

  it("refuse header injection, oversize and repeated values, and anonymous requests", async () => {
    for (const q of ["response-content-type=a%0D%0AX-Evil%3A%201", "response-cache-control=%00", `response-content-disposition=${"x".repeat(9000)}`, "response-content-type=%C3%A9", "response-content-type=a&response-content-type=b"]) {
      const res = await acme(`/media/small.txt?${q}`);
      expect(await errorOf(res), q.slice(0, 40)).toEqual({ status: 400, code: "InvalidArgument" });
      expect(res.headers.get("x-evil")).toBeNull();
    }
    const anonymous = await fetch(`${fi.url}/media/small.txt?response-content-type=text%2Fhtml`);
    expect(anonymous.status).toBeGreaterThanOrEqual(400);
    expect(anonymous.headers.get("content-type")).not.toBe("text/html");
  });
});
