import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, s3, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "./harness.ts";
import { acquireRgw, requireRgw, type Rgw } from "./rgw-helpers.ts";
import { completeXml, xmlValue, xmlValues } from "./s3-write-helpers.ts";

// A region whose hosted storage is Ceph RGW (the `s3` provider against a real S3 service):
// infra/rgw/start.sh's single-node cluster on loopback.
const available = requireRgw("rgw-hosted-storage.test.ts");
const PREFIX = "gateway";
let rgw: Rgw;
let bucket: string;
let fi: TestRegion;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const marked = (size: number) => Buffer.concat([Buffer.from("PERSONAL-DATA-MARKER "), randomBytes(size)]);

async function regionOn(endpoint: string, bucketName: string): Promise<TestRegion> {
  const base = TEST_TOPOLOGY.regions.find((r) => r.region_id === "FI-HEL")!;
  return startTestRegion("FI-HEL", {
    region: { ...base, provider: { provider_id: "fi-hel-rgw", type: "s3", country: "FI", endpoint } },
    hostedS3: { bucket: bucketName, region: rgw.region, endpoint, ...rgw.credentials, pathPrefix: PREFIX },
  });
}

/** Polls (bounded) until the bucket's keys under the tenant prefix satisfy `ok`. */
async function rgwKeysUntil(ok: (keys: string[]) => boolean, customer = "acme-corp"): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const keys = await rgw.keys(bucket, `${PREFIX}/tenant-${customer}/`);
    if (ok(keys) || Date.now() > deadline) return keys;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!available)("Ceph RGW as a region's hosted storage", () => {
  beforeAll(async () => {
    rgw = await acquireRgw("hosted");
    bucket = await rgw.bucket("fi-hel-objects");
    fi = await regionOn(rgw.endpoint, bucket);
    expect((await register(fi.url, "acme-corp")).status).toBe(201);
    expect((await s3(fi.url, "acme-corp")("/documents", { method: "PUT" })).status).toBe(200);
  }, 600_000);
  afterAll(async () => {
    await fi?.destroy();
    await rgw?.release();
  }, 180_000);

  it("PUT, GET, HEAD and DELETE: bytes land in RGW under the path and tenant prefix, and leave it on DELETE", async () => {
    const acme = s3(fi.url, "acme-corp");
    const body = marked(2000);
    const put = await acme("/documents/contract.pdf", { method: "PUT", body, headers: { "content-type": "application/pdf" } });
    expect(put.status).toBe(200);
    const etag = put.headers.get("etag");
    expect(etag).toBe(`"${createHash("md5").update(body).digest("hex")}"`);
    const got = await acme("/documents/contract.pdf");
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);
    const head = await acme("/documents/contract.pdf", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(body.length));
    expect(head.headers.get("etag")).toBe(etag);
    expect(head.headers.get("content-type")).toBe("application/pdf");

    const keys = await rgw.keys(bucket);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^gateway\/tenant-acme-corp\/[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    const health = (await (await fetch(`${fi.url}/health`)).json()) as { storage: { status: string; type: string } };
    expect(health.storage).toMatchObject({ status: "ok", type: "s3" });

    expect((await acme("/documents/contract.pdf", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/documents/contract.pdf")).status).toBe(404);
    expect((await acme("/documents/contract.pdf", { method: "HEAD" })).status).toBe(404);
    expect(await rgwKeysUntil((k) => k.length === 0)).toEqual([]);
  });

  it("ranged GETs across the 256 KiB sealed segments read exactly the asked bytes from RGW", async () => {
    const acme = s3(fi.url, "acme-corp");
    const body = randomBytes(700 * 1024);
    expect((await acme("/documents/ranged.bin", { method: "PUT", body })).status).toBe(200);
    for (const [start, end] of [[0, 9], [262_100, 262_200], [500_000, 716_799], [716_700, 716_799]] as const) {
      const res = await acme("/documents/ranged.bin", { headers: { range: `bytes=${start}-${end}` } });
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${body.length}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(body.subarray(start, end + 1))).toBe(true);
    }
    const suffix = await acme("/documents/ranged.bin", { headers: { range: "bytes=-100" } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(body.subarray(body.length - 100))).toBe(true);
    const beyond = await acme("/documents/ranged.bin", { headers: { range: `bytes=${body.length}-` } });
    expect(beyond.status).toBe(416);
  });

  it("multipart: parts go to RGW as blobs of their own, the completed object reads back whole and by range", async () => {
    const acme = s3(fi.url, "acme-corp");
    const initial = await rgw.keys(bucket);
    const create = await acme("/documents/big.bin?uploads", { method: "POST" });
    expect(create.status).toBe(200);
    const uploadId = xmlValue(await create.text(), "UploadId")!;
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1234)];
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const res = await acme(`/documents/big.bin?partNumber=${i + 1}&uploadId=${uploadId}`, { method: "PUT", body: part });
      expect(res.status).toBe(200);
      etags.push(res.headers.get("etag")!);
    }
    // Each part is a blob of its own in RGW as soon as UploadPart answers.
    expect((await rgw.keys(bucket)).filter((k) => !initial.includes(k))).toHaveLength(2);
    const done = await acme(`/documents/big.bin?uploadId=${uploadId}`, { method: "POST", body: completeXml(etags.map((etag, i) => ({ n: i + 1, etag }))) });
    expect(done.status).toBe(200);
    expect(xmlValue(await done.text(), "ETag")).toMatch(/-2"$/);
    const whole = Buffer.concat(parts);
    const got = await acme("/documents/big.bin");
    expect(sha(Buffer.from(await got.arrayBuffer()))).toBe(sha(whole));
    const across = await acme("/documents/big.bin", { headers: { range: `bytes=${5 * 1024 * 1024 - 10}-${5 * 1024 * 1024 + 9}` } });
    expect(Buffer.from(await across.arrayBuffer()).equals(whole.subarray(5 * 1024 * 1024 - 10, 5 * 1024 * 1024 + 10))).toBe(true);
  });

  it("lists a bucket with prefix and delimiter from metadata, while the bytes are in RGW", async () => {
    const acme = s3(fi.url, "acme-corp");
    expect((await acme("/reports", { method: "PUT" })).status).toBe(200);
    for (const key of ["2024/q1.csv", "2024/q2.csv", "2025/q1.csv", "readme.txt"]) {
      expect((await acme(`/reports/${key}`, { method: "PUT", body: `report ${key}` })).status).toBe(200);
    }
    const flat = await (await acme("/reports?list-type=2")).text();
    expect(xmlValues(flat, "Key")).toEqual(["2024/q1.csv", "2024/q2.csv", "2025/q1.csv", "readme.txt"]);
    const grouped = await (await acme("/reports?list-type=2&delimiter=/")).text();
    expect(xmlValues(grouped, "Prefix").filter((p) => p !== "")).toEqual(["2024/", "2025/"]);
    expect(xmlValues(grouped, "Key")).toEqual(["readme.txt"]);
    const paged = await (await acme("/reports?list-type=2&prefix=2024/&max-keys=1")).text();
    expect(xmlValues(paged, "Key")).toEqual(["2024/q1.csv"]);
    expect(xmlValue(paged, "IsTruncated")).toBe("true");
    expect(await (await acme("/reports/2025/q1.csv")).text()).toBe("report 2025/q1.csv");
  });

  it("encrypts at rest: no blob RGW holds contains the plaintext", async () => {
    const acme = s3(fi.url, "acme-corp");
    const body = marked(300 * 1024);
    const put = await acme("/documents/personal.bin", { method: "PUT", body });
    expect(put.status).toBe(200);
    expect(put.headers.get("x-amz-server-side-encryption")).toBe("AES256");
    const keys = await rgw.keys(bucket);
    expect(keys.length).toBeGreaterThanOrEqual(8);
    let total = 0;
    for (const key of keys) {
      const stored = await rgw.bytes(bucket, key);
      total += stored.length;
      expect(stored.includes("PERSONAL-DATA-MARKER"), key).toBe(false);
      expect(stored.includes(body.subarray(100, 164)), key).toBe(false);
    }
    expect(total).toBeGreaterThan(body.length);
    expect(Buffer.from(await (await acme("/documents/personal.bin")).arrayBuffer()).equals(body)).toBe(true);
  });

  it("RGW stopped (also under a streaming upload): writes and reads answer 503 ServiceUnavailable within seconds, /health says so; back when it returns", async () => {
    // A region of its own on a second radosgw of the same cluster, so stopping it disturbs no other test.
    const extra = await rgw.extraGateway();
    const outageBucket = await rgw.bucket("fi-hel-outage");
    const region = await regionOn(extra.endpoint, outageBucket);
    try {
      expect((await register(region.url, "acme-corp")).status).toBe(201);
      const acme = s3(region.url, "acme-corp");
      expect((await acme("/documents", { method: "PUT" })).status).toBe(200);
      expect((await acme("/documents/kept.txt", { method: "PUT", body: "written before the outage" })).status).toBe(200);

      // Mid-request: an upload streaming 24 MiB over ~2.5 s when radosgw stops under it.
      let chunks = 0;
      const slow = new Readable({
        read() {
          if (chunks++ >= 24) this.push(null);
          else setTimeout(() => this.push(Buffer.alloc(1024 * 1024, 7)), 100);
        },
      });
      const upload = acme("/documents/streaming.bin", { method: "PUT", body: slow as unknown as RequestInit["body"], headers: { "content-length": String(24 * 1024 * 1024) } });
      await new Promise((r) => setTimeout(r, 800));
      await extra.stop();
      const cut = await upload;
      expect(cut.status).toBe(503);
      expect(xmlValue(await cut.text(), "Code")).toBe("ServiceUnavailable");
      expect(chunks).toBeLessThan(24); // it was cut while streaming, not after

      const started = Date.now();
      const put = await acme("/documents/lost.txt", { method: "PUT", body: "x".repeat(1000) });
      expect(put.status).toBe(503);
      expect(xmlValue(await put.text(), "Code")).toBe("ServiceUnavailable");
      const get = await acme("/documents/kept.txt");
      expect(get.status).toBe(503);
      expect(xmlValue(await get.text(), "Code")).toBe("ServiceUnavailable");
      expect(Date.now() - started).toBeLessThan(20_000);
      const health = await fetch(`${region.url}/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { storage: { status: string } }).storage.status).not.toBe("ok");
      // Nothing was acknowledged, so nothing is listed.
      expect((await acme("/documents/lost.txt", { method: "HEAD" })).status).toBe(404);
      expect((await acme("/documents/streaming.bin", { method: "HEAD" })).status).toBe(404);

      await extra.start();
      expect(await (await acme("/documents/kept.txt")).text()).toBe("written before the outage");
      expect((await acme("/documents/after.txt", { method: "PUT", body: "after" })).status).toBe(200);
    } finally {
      await region.destroy();
    }
  }, 180_000);
});
