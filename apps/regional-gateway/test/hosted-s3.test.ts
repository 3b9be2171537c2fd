import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adminAuth, register, s3, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "./harness.ts";

// A region whose hosted provider is an S3-compatible service. The service here is another
// gateway instance's own S3 API (SigV4, fs-backed): a real S3 server on loopback.
let backend: TestRegion;
let fi: TestRegion;
let sdk: S3Client;

beforeAll(async () => {
  backend = await startTestRegion("DE-FRA");
  await register(backend.url, "fi-hel-operator", { country: "DE", data_residency_requirement: "flexible" });
  const res = await fetch(`${backend.url}/api/customers/fi-hel-operator/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  const key = (await res.json()) as { access_key_id: string; secret_access_key: string };
  const credentials = { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key };
  sdk = new S3Client({ endpoint: backend.url, region: "us-east-1", forcePathStyle: true, credentials });
  await sdk.send(new CreateBucketCommand({ Bucket: "fi-hel-objects" }));
  const base = TEST_TOPOLOGY.regions.find((r) => r.region_id === "FI-HEL")!;
  fi = await startTestRegion("FI-HEL", {
    region: { ...base, provider: { provider_id: "fi-hel-s3", type: "s3", country: "FI", endpoint: backend.url } },
    hostedS3: { bucket: "fi-hel-objects", region: "us-east-1", endpoint: backend.url, ...credentials, pathPrefix: "gateway" },
  });
  await register(fi.url, "acme-corp");
  await s3(fi.url, "acme-corp")("/documents", { method: "PUT" });
}, 120_000);
afterAll(async () => {
  sdk?.destroy();
  await fi?.destroy();
  await backend?.destroy();
});

it("stores and serves objects through the S3 backend under opaque tenant keys", async () => {
  const acme = s3(fi.url, "acme-corp");
  expect((await acme("/documents/contract.pdf", { method: "PUT", body: "signed contract" })).status).toBe(200);
  const got = await acme("/documents/contract.pdf", { headers: { range: "bytes=7-14" } });
  expect(got.status).toBe(206);
  expect(await got.text()).toBe("contract");
  const listed = await sdk.send(new ListObjectsV2Command({ Bucket: "fi-hel-objects" }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!);
  expect(keys).toHaveLength(1);
  expect(keys[0]).toMatch(/^gateway\/tenant-acme-corp\/[0-9a-f]{2}\/[0-9a-f-]{36}$/);
  const health = (await (await fetch(`${fi.url}/health`)).json()) as { storage: { status: string; type: string } };
  expect(health.storage).toMatchObject({ status: "ok", type: "s3" });
});

it("answers 503 quickly when the backend is down, and keeps nothing", async () => {
  await backend.close();
  const started = Date.now();
  const res = await s3(fi.url, "acme-corp")("/documents/other.pdf", { method: "PUT", body: "x" });
  expect(res.status).toBe(503);
  expect(await res.text()).toContain("<Code>ServiceUnavailable</Code>");
  expect(Date.now() - started).toBeLessThan(30_000);
  expect((await s3(fi.url, "acme-corp")("/documents/other.pdf")).status).toBe(404);
});
