import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let acme: ReturnType<typeof s3>;
let globex: ReturnType<typeof s3>;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
  expect((await register(fi.url, "globex", { customer_name: "Globex", country: "DE", data_residency_requirement: "jurisdiction" })).status).toBe(201);
  acme = s3(fi.url, "acme-corp");
  globex = s3(fi.url, "globex");
});
afterAll(() => fi?.destroy());

const md5b64 = (s: string | Buffer) => createHash("md5").update(s).digest("base64");

describe("objects", () => {
  it("round-trips bytes, content type, ETag, Last-Modified and user metadata", async () => {
    expect((await acme("/documents", { method: "PUT" })).status).toBe(200);
    const put = await acme("/documents/contract.pdf", {
      method: "PUT",
      body: "%PDF-1.7 contract",
      headers: { "content-type": "application/pdf", "x-amz-meta-Owner": "legal", "content-md5": md5b64("%PDF-1.7 contract"), "cache-control": "no-cache" },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get("etag")).toBe(`"${createHash("md5").update("%PDF-1.7 contract").digest("hex")}"`);
    expect(put.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
    const get = await acme("/documents/contract.pdf");
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("%PDF-1.7 contract");
    expect(get.headers.get("content-type")).toBe("application/pdf");
    expect(get.headers.get("content-length")).toBe("17");
    expect(get.headers.get("x-amz-meta-owner")).toBe("legal");
    expect(get.headers.get("cache-control")).toBe("no-cache");
    expect(get.headers.get("etag")).toBe(put.headers.get("etag"));
    expect(new Date(get.headers.get("last-modified")!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const head = await acme("/documents/contract.pdf", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("17");
    expect(await head.text()).toBe("");
  });

  it("answers single ranges with 206 and refuses unsatisfiable ones with 416", async () => {
    await acme("/documents/range.txt", { method: "PUT", body: "0123456789" });
    const mid = await acme("/documents/range.txt", { headers: { range: "bytes=2-5" } });
    expect(mid.status).toBe(206);
    expect(mid.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await mid.text()).toBe("2345");
    const suffix = await acme("/documents/range.txt", { headers: { range: "bytes=-3" } });
    expect(await suffix.text()).toBe("789");
    const open = await acme("/documents/range.txt", { headers: { range: "bytes=7-" } });
    expect(await open.text()).toBe("789");
    const bad = await acme("/documents/range.txt", { headers: { range: "bytes=50-60" } });
    expect(bad.status).toBe(416);
    expect(await bad.text()).toContain("<Code>InvalidRange</Code>");
  });

  it("verifies Content-MD5 and keeps nothing on BadDigest", async () => {
    const before = await countBlobs();
    const res = await acme("/documents/bad.txt", { method: "PUT", body: "payload", headers: { "content-md5": md5b64("other") } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>BadDigest</Code>");
    expect((await acme("/documents/bad.txt")).status).toBe(404);
    expect(await countBlobs()).toBe(before);
    const invalid = await acme("/documents/bad.txt", { method: "PUT", body: "payload", headers: { "content-md5": "nope" } });
    expect(await invalid.text()).toContain("<Code>InvalidDigest</Code>");
  });

  it("answers conditional GETs as S3 does", async () => {
    const etag = (await acme("/documents/range.txt", { method: "HEAD" })).headers.get("etag")!;
    expect((await acme("/documents/range.txt", { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await acme("/documents/range.txt", { headers: { "if-match": '"nope"' } })).status).toBe(412);
    expect((await acme("/documents/range.txt", { headers: { "if-match": etag } })).status).toBe(200);
  });

  it("keeps keys with unusual characters intact and enforces the 1024-byte limit", async () => {
    const key = "dir with space/ünïcødé+plus%percent?&=.txt";
    const path = `/documents/${key.split("/").map(encodeURIComponent).join("/")}`;
    expect((await acme(path, { method: "PUT", body: "odd" })).status).toBe(200);
    expect(await (await acme(path)).text()).toBe("odd");
    const list = await (await acme(`/documents?list-type=2&prefix=${encodeURIComponent("dir with space/")}`)).text();
    expect(list).toContain("<Key>dir with space/ünïcødé+plus%percent?&amp;=.txt</Key>");
    const long = await acme(`/documents/${"k".repeat(1025)}`, { method: "PUT", body: "x" });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain("KeyTooLongError");
    expect((await acme(`/documents/${"k".repeat(1024)}`, { method: "PUT", body: "x" })).status).toBe(200);
  });

  it("errors come as S3 XML with codes, resources and request ids; HEAD errors carry no body", async () => {
    const missing = await acme("/documents/nope.txt");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/xml");
    const text = await missing.text();
    expect(text).toMatch(/<Code>NoSuchKey<\/Code>.*<Resource>nope.txt<\/Resource>.*<RequestId>[0-9A-F]{16}<\/RequestId>/s);
    const head = await acme("/documents/nope.txt", { method: "HEAD" });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe("");
    expect(await (await acme("/no-such-bucket/x")).text()).toContain("<Code>NoSuchBucket</Code>");
    expect((await acme("/documents?website")).status).toBe(501);
  });

  it("deletes objects (204 even when absent)", async () => {
    await acme("/documents/tmp.txt", { method: "PUT", body: "t" });
    expect((await acme("/documents/tmp.txt", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/documents/tmp.txt")).status).toBe(404);
    expect((await acme("/documents/tmp.txt", { method: "DELETE" })).status).toBe(204);
  });
});

describe("tenancy", () => {
  it("gives two customers independent buckets of the same name", async () => {
    expect((await globex("/documents", { method: "PUT" })).status).toBe(200);
    await globex("/documents/contract.pdf", { method: "PUT", body: "globex's contract" });
    expect(await (await acme("/documents/contract.pdf")).text()).toBe("%PDF-1.7 contract");
    expect(await (await globex("/documents/contract.pdf")).text()).toBe("globex's contract");
    const globexList = await (await globex("/documents?list-type=2")).text();
    expect(globexList).not.toContain("range.txt");
    expect((await globex("/documents/range.txt")).status).toBe(404);
    const buckets = await (await globex("")).text();
    expect(buckets).toContain("<Name>documents</Name>");
    expect(buckets).toContain("<ID>globex</ID>");
  });

  it("stores bytes under tenant prefixes with opaque names only", async () => {
    const tenants = (await readdir(fi.storageDir)).filter((d) => d.startsWith("tenant-")).sort();
    expect(tenants).toEqual(["tenant-acme-corp", "tenant-globex"]);
    const all = await readdir(fi.storageDir, { recursive: true });
    expect(all.join("\n")).not.toMatch(/contract|documents|range/);
  });
});

async function countBlobs(): Promise<number> {
  const all = await readdir(fi.storageDir, { recursive: true, withFileTypes: true });
  return all.filter((d) => d.isFile()).length;
}

describe("interrupted uploads", () => {
  it("keeps neither metadata nor bytes when the client hangs up mid-body", async () => {
    const { request } = await import("node:http");
    const before = await countBlobs();
    const url = new URL(`${fi.url}/s3/documents/interrupted.bin`);
    await new Promise<void>((resolve) => {
      const req = request(url, { method: "PUT", headers: { "x-customer-id": "acme-corp", "content-length": String(10 * 1024 * 1024) } });
      req.on("error", () => resolve());
      req.write(Buffer.alloc(1024 * 1024, 1), () => setTimeout(() => { req.destroy(); resolve(); }, 100));
    });
    for (let i = 0; i < 50 && (await countBlobs()) !== before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await countBlobs()).toBe(before);
    expect((await acme("/documents/interrupted.bin")).status).toBe(404);
  });
});
