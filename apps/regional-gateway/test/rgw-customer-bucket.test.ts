import { createHash, randomBytes } from "node:crypto";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { acquireRgw, requireRgw, type Rgw } from "./rgw-helpers.ts";
import { completeXml, tenantBlobCount, xmlValue, xmlValues } from "./s3-write-helpers.ts";
import { migrate } from "./storage-migration-helpers.ts";

// A customer-owned bucket in Ceph RGW (a real S3 service, not this gateway's own API): set up
// through the storage API (its probe runs against RGW), written and read through the gateway,
// and filled by a storage migration from the region's fs storage.
const available = requireRgw("rgw-customer-bucket.test.ts");
const json = { "content-type": "application/json" };
let rgw: Rgw;
let bucket: string;
let gw: TestRegion;
let sql: postgres.Sql;
let targetId: string;
const CUSTOMER = "byob-co";
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const marked = (size: number) => Buffer.concat([Buffer.from("PERSONAL-DATA-MARKER "), randomBytes(size)]);

const putStorage = (customer: string, body: Record<string, unknown>) =>
  fetch(`${gw.url}/api/customers/${customer}/storage`, { method: "PUT", headers: { ...json, ...adminAuth }, body: JSON.stringify(body) });
const rgwConfig = (bucketName: string, endpoint = rgw.endpoint) => ({
  provider_label: "ceph-rgw",
  endpoint,
  region: rgw.region,
  // Not an AWS region: where the cluster is is declared by the admin (country_basis "declared").
  country: "FI",
  bucket: bucketName,
  access_key_id: rgw.accessKeyId,
  secret_access_key: rgw.secretAccessKey,
  path_prefix: "gw/fi",
  activate: true,
});
const rowOf = async (key: string) =>
  (await sql`select storage_provider_id, storage_key, encryption from object_metadata where customer_id = ${CUSTOMER} and object_key = ${key}`)[0]!;

describe.skipIf(!available)("Ceph RGW as a customer-owned bucket", () => {
  const early: Record<string, Buffer> = {};
  beforeAll(async () => {
    rgw = await acquireRgw("customer");
    bucket = await rgw.bucket("byob-vault");
    gw = await startTestRegion("FI-HEL");
    sql = postgresClient(gw.databaseUrl, { max: 1 });
    const client = await registerWithBuckets(gw.url, CUSTOMER, ["docs"], { data_residency_requirement: "strict" });
    // Written to the region's fs storage before the customer had a bucket: the migration's input.
    for (const i of [1, 2, 3]) {
      early[`early/${i}.bin`] = marked(1000 * i);
      expect((await client(`/docs/early/${i}.bin`, { method: "PUT", body: early[`early/${i}.bin`] })).status).toBe(200);
    }
  }, 600_000);
  afterAll(async () => {
    await sql?.end();
    await gw?.destroy();
    await rgw?.release();
  }, 180_000);

  it("activates after the probe's six checks pass against RGW", async () => {
    const res = await putStorage(CUSTOMER, rgwConfig(bucket));
    expect(res.status).toBe(200);
    const view = (await res.json()) as Record<string, any>;
    expect(view).toMatchObject({ enabled: true, status: "healthy", last_error_class: null });
    expect(view.target).toMatchObject({ country: "FI", bucket, path_prefix: "gw/fi", country_basis: "declared" });
    expect(view.probe.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual(
      ["bucket_exists", "write", "prefix_enforcement", "read_back", "delete", "deleted"].map((n) => [n, true]),
    );
    targetId = view.target_id;
    expect(await rgw.keys(bucket)).toEqual([]);
  });

  it("a bucket RGW does not have fails the probe and is not activated", async () => {
    const res = await putStorage(CUSTOMER, rgwConfig(`missing-${randomBytes(4).toString("hex")}`));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const view = (await (await fetch(`${gw.url}/api/customers/${CUSTOMER}/storage`, { headers: adminAuth })).json()) as { target_id: string };
    expect(view.target_id).toBe(targetId);
  });

  it("PUT, GET, HEAD, DELETE and ranged GET go to the RGW bucket under the tenant prefix, sealed", async () => {
    const acme = s3(gw.url, CUSTOMER);
    const body = marked(600 * 1024);
    const put = await acme("/docs/contracts/signed.pdf", { method: "PUT", body });
    expect(put.status).toBe(200);
    expect(put.headers.get("x-amz-server-side-encryption")).toBe("AES256");
    const row = await rowOf("contracts/signed.pdf");
    expect(row.storage_provider_id).toBe(targetId);
    const key = `gw/fi/${row.storage_key as string}`;
    expect(key).toMatch(/^gw\/fi\/tenant-byob-co\/[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    expect(await rgw.keys(bucket)).toEqual([key]);
    // What RGW holds is ciphertext: read with RGW's own S3 API, the known content is nowhere in it.
    const stored = await rgw.bytes(bucket, key);
    expect(stored.length).toBeGreaterThan(body.length);
    expect(stored.includes("PERSONAL-DATA-MARKER")).toBe(false);
    expect(stored.includes(body.subarray(300_000, 300_064))).toBe(false);

    expect(Buffer.from(await (await acme("/docs/contracts/signed.pdf")).arrayBuffer()).equals(body)).toBe(true);
    const head = await acme("/docs/contracts/signed.pdf", { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe(String(body.length));
    const ranged = await acme("/docs/contracts/signed.pdf", { headers: { range: "bytes=262000-262299" } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(body.subarray(262_000, 262_300))).toBe(true);
    expect(await tenantBlobCount(gw.storageDir, CUSTOMER)).toBe(3);

    expect((await acme("/docs/contracts/signed.pdf", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/docs/contracts/signed.pdf")).status).toBe(404);
    const deadline = Date.now() + 15_000;
    while ((await rgw.keys(bucket)).includes(key) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await rgw.keys(bucket)).toEqual([]);
  });

  it("multipart: the parts are written straight to RGW, the object reads back whole", async () => {
    const acme = s3(gw.url, CUSTOMER);
    const create = await acme("/docs/big.bin?uploads", { method: "POST" });
    const uploadId = xmlValue(await create.text(), "UploadId")!;
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(777)];
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const res = await acme(`/docs/big.bin?partNumber=${i + 1}&uploadId=${uploadId}`, { method: "PUT", body: part });
      expect(res.status).toBe(200);
      etags.push(res.headers.get("etag")!);
    }
    expect(await rgw.keys(bucket)).toHaveLength(2);
    const done = await acme(`/docs/big.bin?uploadId=${uploadId}`, { method: "POST", body: completeXml(etags.map((etag, i) => ({ n: i + 1, etag }))) });
    expect(done.status).toBe(200);
    expect(sha(Buffer.from(await (await acme("/docs/big.bin")).arrayBuffer()))).toBe(sha(Buffer.concat(parts)));
    expect(await tenantBlobCount(gw.storageDir, CUSTOMER)).toBe(3);
  });

  it("migrates the objects kept on the fs target into the RGW bucket; they read back the same, and a listing shows all", async () => {
    expect((await rowOf("early/1.bin")).storage_provider_id).toBe("fi-hel-fs");
    const before = await rgw.keys(bucket);
    const report = await migrate(gw.url, { customer_id: CUSTOMER, from_target: "fi-hel-fs", to_target: targetId });
    expect(report).toMatchObject({ status: "completed", total: 3, migrated: 3, failed: 0 });
    const acme = s3(gw.url, CUSTOMER);
    for (const [key, body] of Object.entries(early)) {
      const row = await rowOf(key);
      expect(row.storage_provider_id).toBe(targetId);
      const stored = await rgw.bytes(bucket, `gw/fi/${row.storage_key as string}`);
      expect(stored.includes("PERSONAL-DATA-MARKER")).toBe(false);
      expect(Buffer.from(await (await acme(`/docs/${key}`)).arrayBuffer()).equals(body)).toBe(true);
    }
    expect((await rgw.keys(bucket)).length).toBe(before.length + 3);
    const deadline = Date.now() + 15_000;
    while ((await tenantBlobCount(gw.storageDir, CUSTOMER)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await tenantBlobCount(gw.storageDir, CUSTOMER)).toBe(0);
    const listed = await (await acme("/docs?list-type=2")).text();
    expect(xmlValues(listed, "Key")).toEqual(["big.bin", "early/1.bin", "early/2.bin", "early/3.bin"]);
    expect(xmlValues(await (await acme("/docs?list-type=2&delimiter=/")).text(), "Prefix").filter((p) => p)).toEqual(["early/"]);
  });

  it("RGW stopped: the customer's writes and reads answer 503 within seconds, the bucket is marked unhealthy", async () => {
    const extra = await rgw.extraGateway();
    const outageBucket = await rgw.bucket("byob-outage");
    const client = await registerWithBuckets(gw.url, "outage-co", ["docs"], { data_residency_requirement: "strict" });
    expect((await putStorage("outage-co", rgwConfig(outageBucket, extra.endpoint))).status).toBe(200);
    expect((await client("/docs/kept.txt", { method: "PUT", body: "before the outage" })).status).toBe(200);
    expect(await rgw.keys(outageBucket)).toHaveLength(1);

    await extra.stop();
    const started = Date.now();
    const put = await client("/docs/lost.txt", { method: "PUT", body: "lost?" });
    expect(put.status).toBe(503);
    expect(xmlValue(await put.text(), "Code")).toBe("ServiceUnavailable");
    const get = await client("/docs/kept.txt");
    expect(get.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(20_000);
    const view = (await (await fetch(`${gw.url}/api/customers/outage-co/storage`, { headers: adminAuth })).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ status: "unhealthy", last_error_class: "unreachable_endpoint", effective_write_target: null });
    expect((await client("/docs/lost.txt", { method: "HEAD" })).status).toBe(404);
    expect(await tenantBlobCount(gw.storageDir, "outage-co")).toBe(0);
    // The other customer's RGW bucket (on the cluster's main gateway) is untouched.
    expect((await s3(gw.url, CUSTOMER)("/docs/early/2.bin")).status).toBe(200);
    await extra.start();
    expect(await (await client("/docs/kept.txt")).text()).toBe("before the outage");
  }, 180_000);
});
