import { createHash, randomBytes } from "node:crypto";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recheckCustomerStorage } from "../src/services/storage/customer-storage.ts";
import { type Backend, type CapturedGateway, everyStoredText, filesUnder, recordingFetch, startBackend, startCapturedRegion } from "./customer-storage-helpers.ts";
import { adminAuth, register, registerWithBuckets } from "./harness.ts";
import { completeXml, xmlValue } from "./s3-write-helpers.ts";

const json = { "content-type": "application/json" };
let backend: Backend;
let gw: CapturedGateway;
let sql: postgres.Sql;
const http = recordingFetch();
const secrets: string[] = [];

const storagePath = (customer: string, rest = "") => `${gw.url}/api/customers/${customer}/storage${rest}`;
const putStorage = (customer: string, body: Record<string, unknown>) =>
  http.call(storagePath(customer), { method: "PUT", headers: { ...json, ...adminAuth }, body: JSON.stringify(body) });
const getStorage = async (customer: string) => {
  const res = await http.call(storagePath(customer), { headers: adminAuth });
  expect(res.status).toBe(200);
  return res.json();
};
const s3 = (customer: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  http.call(`${gw.url}/s3${path}`, { ...init, headers: { "x-customer-id": customer, ...(init.headers ?? {}) } });
const bucketConfig = (bucket: string, extra: Record<string, unknown> = {}) => ({
  provider_label: "aws",
  endpoint: backend.url,
  region: "eu-central-1",
  bucket,
  access_key_id: backend.key.access_key_id,
  secret_access_key: backend.key.secret_access_key,
  path_prefix: "gw/fi",
  ...extra,
});
const objectRow = async (customer: string, key: string) =>
  (await sql`select storage_provider_id, storage_country, storage_key from object_metadata where customer_id = ${customer} and object_key = ${key}`)[0]!;

beforeAll(async () => {
  backend = await startBackend(["acme-vault", "acme-vault-2", "fallback-vault"]);
  secrets.push(backend.key.secret_access_key);
  gw = await startCapturedRegion("FI-HEL");
  sql = postgresClient(gw.databaseUrl, { max: 1 });
  await registerWithBuckets(gw.url, "acme-byob", ["docs"], { data_residency_requirement: "jurisdiction" });
  await registerWithBuckets(gw.url, "fallback-co", ["docs"], { data_residency_requirement: "jurisdiction" });
  expect((await register(gw.url, "strict-co", { data_residency_requirement: "strict" })).status).toBe(201);
});
afterAll(async () => {
  await sql?.end();
  await gw?.destroy();
  backend?.sdk.destroy();
  await backend?.region.destroy();
});

describe("customer-owned bucket", () => {
  it("is refused at PUT when its country breaks the customer's residency requirement", async () => {
    const res = await putStorage("strict-co", bucketConfig("acme-vault", { activate: true }));
    expect(res.status).toBe(400);
    expect(res.json().error.message).toMatch(/residency.*strict.*DE/);
    expect((await http.call(storagePath("strict-co"), { headers: adminAuth })).status).toBe(404);
  });

  it("activates after a passing probe; objects written through the gateway land in the bucket under the tenant prefix", async () => {
    const res = await putStorage("acme-byob", bucketConfig("acme-vault", { activate: true }));
    expect(res.status).toBe(200);
    const view = res.json();
    expect(view).toMatchObject({ enabled: true, status: "healthy", last_error_class: null, allow_hosted_fallback: false, activation_override_by: null });
    expect(view.target_id).toMatch(/^cust-[0-9a-f-]{36}$/);
    expect(view.effective_write_target).toBe(view.target_id);
    expect(view.target).toMatchObject({ country: "DE", region: "eu-central-1", bucket: "acme-vault", path_prefix: "gw/fi", access_key_id: backend.key.access_key_id, session_token: false });
    // Keyed with the region's key: not the bare hash anyone could compare guessed secrets with.
    expect(view.target.secret_fingerprint).toMatch(/^hmac-sha256:test-k1:[0-9a-f]{24}$/);
    expect(view.target.secret_fingerprint).not.toContain(createHash("sha256").update(backend.key.secret_access_key).digest("hex").slice(0, 12));
    expect(view.target).toMatchObject({ country_basis: "verified", country_declared_by: null });
    expect(view.probe.ok).toBe(true);
    expect(view.probe.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual(
      ["bucket_exists", "write", "prefix_enforcement", "read_back", "delete", "deleted"].map((n) => [n, true]),
    );
    expect(view.last_success_at).not.toBeNull();
    // The probe cleans up after itself.
    expect(await backend.keys("acme-vault")).toEqual([]);

    const body = randomBytes(4096);
    expect((await s3("acme-byob", "/docs/contracts/2024/signed.pdf", { method: "PUT", body })).status).toBe(200);
    const got = await fetch(`${gw.url}/s3/docs/contracts/2024/signed.pdf`, { headers: { "x-customer-id": "acme-byob" } });
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);

    const keys = await backend.keys("acme-vault");
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^gw\/fi\/tenant-acme-byob\/[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    const row = await objectRow("acme-byob", "contracts/2024/signed.pdf");
    expect(row).toMatchObject({ storage_provider_id: view.target_id, storage_country: "DE" });
    expect(`gw/fi/${row.storage_key}`).toBe(keys[0]);
    expect(await filesUnder(`${gw.storageDir}/tenant-acme-byob`)).toEqual([]);

    const after = await getStorage("acme-byob");
    expect(after.objects_by_target).toEqual([{ target_id: view.target_id, objects: 1, bytes: 4096 }]);
  });

  it("writes multipart parts straight to the customer bucket, never to hosted storage", async () => {
    const create = await s3("acme-byob", "/docs/big.bin?uploads", { method: "POST" });
    expect(create.status).toBe(200);
    const uploadId = xmlValue(create.text, "UploadId")!;
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1000)];
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const res = await fetch(`${gw.url}/s3/docs/big.bin?partNumber=${i + 1}&uploadId=${uploadId}`, { method: "PUT", body: part, headers: { "x-customer-id": "acme-byob" } });
      expect(res.status).toBe(200);
      etags.push(res.headers.get("etag")!);
    }
    expect(await filesUnder(gw.storageDir)).toEqual([]);
    const done = await s3("acme-byob", `/docs/big.bin?uploadId=${uploadId}`, { method: "POST", body: completeXml(etags.map((etag, i) => ({ n: i + 1, etag }))) });
    expect(done.status).toBe(200);
    const got = await fetch(`${gw.url}/s3/docs/big.bin`, { headers: { "x-customer-id": "acme-byob" } });
    expect(createHash("sha256").update(Buffer.from(await got.arrayBuffer())).digest("hex")).toBe(createHash("sha256").update(Buffer.concat(parts)).digest("hex"));
    const row = await objectRow("acme-byob", "big.bin");
    // A multipart object is its parts' blobs (its manifest's), all in the customer's bucket.
    const partKeys = (await sql`select storage_key from object_parts where manifest_key = ${row.storage_key} order by part_number`).map((r) => `gw/fi/${r.storage_key}`);
    expect(partKeys).toHaveLength(2);
    expect((await backend.keys("acme-vault")).filter((k) => partKeys.includes(k))).toHaveLength(2);
    expect(await filesUnder(gw.storageDir)).toEqual([]);
  });

  it("a new bucket becomes a new target; objects already written stay readable from the one they recorded", async () => {
    const before = await getStorage("acme-byob");
    const res = await putStorage("acme-byob", bucketConfig("acme-vault-2"));
    expect(res.status).toBe(200);
    const view = res.json();
    expect(view.target_id).not.toBe(before.target_id);
    expect(view).toMatchObject({ enabled: true, status: "healthy" });
    expect(view.probe.ok).toBe(true);

    const old = await fetch(`${gw.url}/s3/docs/contracts/2024/signed.pdf`, { headers: { "x-customer-id": "acme-byob" } });
    expect(old.status).toBe(200);
    expect((await old.arrayBuffer()).byteLength).toBe(4096);
    expect((await s3("acme-byob", "/docs/new.txt", { method: "PUT", body: "on the second bucket" })).status).toBe(200);
    expect((await objectRow("acme-byob", "new.txt")).storage_provider_id).toBe(view.target_id);
    expect(await backend.keys("acme-vault-2")).toHaveLength(1);

    const counts = Object.fromEntries((await getStorage("acme-byob")).objects_by_target.map((t: { target_id: string; objects: number }) => [t.target_id, t.objects]));
    expect(counts).toEqual({ [before.target_id]: 2, [view.target_id]: 1 });

    const [audit] = await sql`select compliance_info from operations_log where operation_type = 'PutCustomerStorage' and status_code = 200 order by id desc limit 1`;
    expect(audit!.compliance_info).toEqual({ fields_changed: ["bucket"], target_id: view.target_id, activation_override: false, probe_ok: true });
  });

  it("rotates credentials in place: the cached client is dropped and the old key is no longer used", async () => {
    const before = await getStorage("acme-byob");
    const next = await backend.newKey();
    secrets.push(next.secret_access_key);
    const res = await http.call(storagePath("acme-byob", "/rotate"), {
      method: "POST",
      headers: { ...json, ...adminAuth },
      body: JSON.stringify({ access_key_id: next.access_key_id, secret_access_key: next.secret_access_key }),
    });
    expect(res.status).toBe(200);
    const view = res.json();
    expect(view.target_id).toBe(before.target_id);
    expect(view.target.access_key_id).toBe(next.access_key_id);
    expect(view.target.secret_fingerprint).not.toBe(before.target.secret_fingerprint);
    expect(view.probe.ok).toBe(true);
    expect(view).toMatchObject({ enabled: true, status: "healthy", target: { bucket: "acme-vault-2", path_prefix: "gw/fi" } });

    // With the old key disabled at the backend, writes still succeed: they use the new one.
    const disable = (status: string) =>
      fetch(`${backend.url}/api/customers/vault-host/access-keys/${backend.key.access_key_id}`, { method: "PATCH", headers: { ...json, ...adminAuth }, body: JSON.stringify({ status }) });
    expect((await disable("disabled")).status).toBe(200);
    try {
      expect((await s3("acme-byob", "/docs/after-rotation.txt", { method: "PUT", body: "rotated" })).status).toBe(200);
      const got = await fetch(`${gw.url}/s3/docs/after-rotation.txt`, { headers: { "x-customer-id": "acme-byob" } });
      expect(await got.text()).toBe("rotated");
    } finally {
      expect((await disable("active")).status).toBe(200);
    }
    const [audit] = await sql`select compliance_info from operations_log where operation_type = 'RotateCustomerStorageCredentials' order by id desc limit 1`;
    expect(audit!.compliance_info).toEqual({ fields_changed: ["access_key_id", "secret_access_key"], target_id: view.target_id, activation_override: false, probe_ok: true });
  });

  it("an unhealthy bucket refuses new writes without touching hosted storage, unless hosted fallback is allowed", async () => {
    const fallback = await putStorage("fallback-co", bucketConfig("fallback-vault", { activate: true, allow_hosted_fallback: true }));
    expect(fallback.status).toBe(200);
    expect(fallback.json()).toMatchObject({ enabled: true, status: "healthy", allow_hosted_fallback: true });
    const hostedBefore = await filesUnder(gw.storageDir);

    await backend.region.close();
    // The first write to the dead bucket fails as a backend outage, nothing lands in hosted
    // storage, and the failure itself marks the bucket unhealthy: no waiting for the next probe.
    const early = await s3("acme-byob", "/docs/during-outage.txt", { method: "PUT", body: "lost?" });
    expect(early.status).toBe(503);
    expect(xmlValue(early.text, "Code")).toBe("ServiceUnavailable");
    const noticed = await getStorage("acme-byob");
    expect(noticed).toMatchObject({ status: "unhealthy", last_error_class: "unreachable_endpoint", effective_write_target: null });
    expect(noticed.last_error).toMatch(/^unavailable during a request: /);
    const events = await sql`select details from compliance_events where event_type = 'customer_storage_unavailable' and customer_id = 'acme-byob'`;
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ error_class: "unreachable_endpoint", found_by: "request" });
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(/s3gw_customer_storage_failures_total\{[^}]*kind="unavailable"[^}]*\} [1-9]/);

    expect(await recheckCustomerStorage(gw.deps)).toBe(2);
    const view = await getStorage("acme-byob");
    expect(view).toMatchObject({ enabled: true, status: "unhealthy", last_error_class: "unreachable_endpoint", effective_write_target: null });
    expect(view.last_error).toMatch(/^bucket_exists: /);

    const refused = await s3("acme-byob", "/docs/during-outage.txt", { method: "PUT", body: "lost?" });
    expect(refused.status).toBe(503);
    expect(xmlValue(refused.text, "Code")).toBe("CustomerStorageUnavailable");
    expect(xmlValue(refused.text, "Message")).toMatch(/unhealthy \(last error: unreachable_endpoint\)/);
    expect(await filesUnder(gw.storageDir)).toEqual(hostedBefore);
    expect(await sql`select 1 from object_metadata where object_key = 'during-outage.txt'`).toHaveLength(0);

    expect((await getStorage("fallback-co")).effective_write_target).toBe("fi-hel-fs");
    expect((await s3("fallback-co", "/docs/kept.txt", { method: "PUT", body: "hosted while the bucket is down" })).status).toBe(200);
    expect((await objectRow("fallback-co", "kept.txt")).storage_provider_id).toBe("fi-hel-fs");
    expect(await filesUnder(`${gw.storageDir}/tenant-fallback-co`)).toHaveLength(1);
  });

  it("DELETE disables the bucket: new writes go to hosted storage", async () => {
    const res = await http.call(storagePath("acme-byob"), { method: "DELETE", headers: adminAuth });
    expect(res.status).toBe(204);
    expect(await getStorage("acme-byob")).toMatchObject({ enabled: false, effective_write_target: "fi-hel-fs" });
    expect((await s3("acme-byob", "/docs/hosted.txt", { method: "PUT", body: "home again" })).status).toBe(200);
    expect((await objectRow("acme-byob", "hosted.txt")).storage_provider_id).toBe("fi-hel-fs");
    const [audit] = await sql`select compliance_info, principal from operations_log where operation_type = 'DeleteCustomerStorage' order by id desc limit 1`;
    expect(audit!.compliance_info).toMatchObject({ fields_changed: ["enabled"], activation_override: false });
  });

  it("no secret appears in any answer, log line or database column", async () => {
    expect(secrets.length).toBe(2);
    const logs = gw.logs.join("\n");
    expect(logs).toContain("PutCustomerStorage");
    const stored = await everyStoredText(sql);
    expect(stored).toContain("cust-");
    for (const secret of secrets) {
      for (const body of http.bodies) expect(body.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
      expect(stored.includes(secret)).toBe(false);
    }
  });
});
