import { createHash } from "node:crypto";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FingerprintKeys } from "../src/services/storage/customer-storage-fingerprint.ts";
import { recheckCustomerStorage } from "../src/services/storage/customer-storage.ts";
import { type Backend, startBackend } from "./customer-storage-helpers.ts";
import { adminAuth, bearer, mintToken, registerWithBuckets, s3, startTestRegion, TEST_MASTER_KEYS, type TestRegion } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

const json = { "content-type": "application/json" };
const WRONG_SECRET = "wrong-secret-Zq8X0vGxY3mN5bT1cD7eF9hJ2kL4";
let backend: Backend;
let gw: TestRegion;
let sql: postgres.Sql;

const storagePath = (customer: string, rest = "") => `${gw.url}/api/customers/${customer}/storage${rest}`;
const call = async (url: string, init: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
};
const view = async (customer: string) => (await call(storagePath(customer), { headers: adminAuth })).body;
const rotate = (customer: string, body: Record<string, unknown>, auth = adminAuth) => call(storagePath(customer, "/rotate"), { method: "POST", headers: { ...json, ...auth }, body: JSON.stringify(body) });
const config = (bucket: string, extra: Record<string, unknown> = {}) => ({
  provider_label: "garage", endpoint: backend.url, region: "garage", country: "DE", bucket,
  access_key_id: backend.key.access_key_id, secret_access_key: backend.key.secret_access_key, activate: true, ...extra,
});
const setKey = (akid: string, status: string) =>
  fetch(`${backend.url}/api/customers/vault-host/access-keys/${akid}`, { method: "PATCH", headers: { ...json, ...adminAuth }, body: JSON.stringify({ status }) });

beforeAll(async () => {
  backend = await startBackend(["rot-vault", "burst-vault"]);
  gw = await startTestRegion("FI-HEL");
  sql = postgresClient(gw.databaseUrl, { max: 1 });
  for (const c of ["rot-co", "burst-co"]) await registerWithBuckets(gw.url, c, ["docs"], { data_residency_requirement: "jurisdiction" });
  for (const [c, b] of [["rot-co", "rot-vault"], ["burst-co", "burst-vault"]] as const) {
    const res = await call(storagePath(c), { method: "PUT", headers: { ...json, ...adminAuth }, body: JSON.stringify(config(b)) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  expect((await s3(gw.url, "rot-co")("/docs/before.txt", { method: "PUT", body: "written before rotation" })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await gw?.destroy();
  backend?.sdk.destroy();
  await backend?.region.destroy();
});

describe("rotating credentials runs the probe first", () => {
  it("keeps the old credentials when the new ones fail their probe", async () => {
    const before = await view("rot-co");
    const refused = await rotate("rot-co", { access_key_id: backend.key.access_key_id, secret_access_key: WRONG_SECRET });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/old ones stay in place.*invalid_credentials/);
    const after = await view("rot-co");
    expect(after.target.secret_fingerprint).toBe(before.target.secret_fingerprint);
    expect(after).toMatchObject({ status: "healthy", enabled: true, credentials_override_by: null });
    // Reads and writes still work: the stored (and cached) credentials are the good ones.
    expect(await (await s3(gw.url, "rot-co")("/docs/before.txt")).text()).toBe("written before rotation");
    expect((await s3(gw.url, "rot-co")("/docs/still.txt", { method: "PUT", body: "still fine" })).status).toBe(200);
    const [audit] = await sql`select status_code from operations_log where operation_type = 'RotateCustomerStorageCredentials' order by id desc limit 1`;
    expect(audit!.status_code).toBe(409);
  });

  it("lets only an admin keep failing credentials, and records who did", async () => {
    const officer = bearer(await mintToken(gw.url, "rot officer", "compliance_officer", "rot-co"));
    expect((await rotate("rot-co", { access_key_id: backend.key.access_key_id, secret_access_key: WRONG_SECRET, override_validation: true }, officer)).status).toBe(403);
    const forced = await rotate("rot-co", { access_key_id: backend.key.access_key_id, secret_access_key: WRONG_SECRET, override_validation: true });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ credentials_override_by: "token:bootstrap-admin(admin)", status: "unhealthy", probe: { ok: false, error_class: "invalid_credentials" } });
    const [audit] = await sql`select compliance_info from operations_log where operation_type = 'RotateCustomerStorageCredentials' order by id desc limit 1`;
    expect(audit!.compliance_info).toMatchObject({ fields_changed: ["secret_access_key"], activation_override: true, probe_ok: false });
    // Good credentials again: probed, accepted, the override cleared.
    const fixed = await rotate("rot-co", { access_key_id: backend.key.access_key_id, secret_access_key: backend.key.secret_access_key });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ credentials_override_by: null, status: "healthy" });
  });
});

describe("a bucket failing during requests is noticed at once", () => {
  it("one burst of failures marks it unhealthy once, raises one event, counts every failure; writes then get CustomerStorageUnavailable", async () => {
    const c = s3(gw.url, "burst-co");
    expect((await c("/docs/a.txt", { method: "PUT", body: "a" })).status).toBe(200);
    const metric = async () => Number(/s3gw_customer_storage_failures_total\{[^}]*kind="auth"[^}]*\} (\d+)/.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1] ?? 0);
    const before = await metric();
    expect((await setKey(backend.key.access_key_id, "disabled")).status).toBe(200);
    try {
      const reads = await Promise.all(Array.from({ length: 20 }, () => c("/docs/a.txt")));
      expect(reads.map((r) => r.status)).toEqual(Array(20).fill(503));
      expect(await metric()).toBe(before + 20);
      const stored = await view("burst-co");
      expect(stored).toMatchObject({ status: "unhealthy", last_error_class: "invalid_credentials", effective_write_target: null });
      expect(stored.last_error).toMatch(/^refused during a request: /);
      const events = await sql`select severity, details from compliance_events where event_type = 'customer_storage_unavailable' and customer_id = 'burst-co'`;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ severity: "high", details: { kind: "auth", error_class: "invalid_credentials" } });
      // More failures within the interval write nothing: the row is not touched again.
      const stamp = (await sql`select updated_at from customer_storage where customer_id = 'burst-co'`)[0]!.updated_at as Date;
      await Promise.all(Array.from({ length: 10 }, () => c("/docs/a.txt")));
      expect(((await sql`select updated_at from customer_storage where customer_id = 'burst-co'`)[0]!.updated_at as Date).getTime()).toBe(stamp.getTime());
      const write = await c("/docs/b.txt", { method: "PUT", body: "b" });
      expect(write.status).toBe(503);
      expect(xmlValue(await write.text(), "Code")).toBe("CustomerStorageUnavailable");
    } finally {
      expect((await setKey(backend.key.access_key_id, "active")).status).toBe(200);
    }
    // The periodic probe brings it back.
    await recheckCustomerStorage(gw.deps);
    expect(await view("burst-co")).toMatchObject({ status: "healthy" });
    expect((await c("/docs/b.txt", { method: "PUT", body: "b" })).status).toBe(200);
  });

  it("a missing key is not a bucket failure", async () => {
    expect((await s3(gw.url, "burst-co")("/docs/nope.txt")).status).toBe(404);
    await sql`update object_metadata set storage_key = regexp_replace(storage_key, '[0-9a-f]$', '0') where customer_id = 'burst-co' and object_key = 'a.txt'`;
    await s3(gw.url, "burst-co")("/docs/a.txt");
    expect(await view("burst-co")).toMatchObject({ status: "healthy" });
  });
});

describe("declared countries in residency reports", () => {
  it("shows a non-AWS bucket's country as declared, by whom, in the residency report and the compliance summary", async () => {
    const report = (await call(`${gw.url}/api/compliance/validate/data-residency?customer_id=rot-co`, { headers: adminAuth })).body;
    const target = (await view("rot-co")).target_id;
    expect(report.storage_locations).toEqual([
      expect.objectContaining({ target_id: target, country: "DE", country_basis: "declared", declared_by: "token:bootstrap-admin(admin)", objects: 2 }),
    ]);
    expect(Date.parse(report.storage_locations[0].declared_at)).toBeGreaterThan(0);
    const summary = (await call(`${gw.url}/api/compliance/summary`, { headers: { ...adminAuth, "x-customer-id": "rot-co" } })).body;
    expect(summary.storage_locations).toEqual(report.storage_locations);
    // Hosted storage is the region's own provider, not a declaration.
    await sql`update object_metadata set storage_provider_id = 'fi-hel-fs', storage_country = 'FI' where object_key = 'still.txt'`;
    const mixed = (await call(`${gw.url}/api/compliance/validate/data-residency?customer_id=rot-co`, { headers: adminAuth })).body;
    expect(mixed.storage_locations.map((l: { target_id: string; country_basis: string }) => [l.target_id, l.country_basis])).toEqual(
      [[target, "declared"], ["fi-hel-fs", "region_provider"]].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
  });
});

describe("credential fingerprints are keyed", () => {
  it("is an HMAC under the region key, recomputed on read for legacy bare hashes", async () => {
    const keys = FingerprintKeys.fromSettings({ masterKeys: TEST_MASTER_KEYS, activeMasterKeyId: "test-k1", regionId: "FI-HEL" })!;
    const fp = (await view("rot-co")).target.secret_fingerprint;
    expect(fp).toBe(keys.fingerprint(backend.key.secret_access_key));
    expect(keys.matches(fp, backend.key.secret_access_key)).toBe(true);
    expect(keys.matches(fp, WRONG_SECRET)).toBe(false);
    // Another region's key, or a dedicated key, gives another fingerprint for the same secret.
    expect(FingerprintKeys.fromSettings({ masterKeys: TEST_MASTER_KEYS, activeMasterKeyId: "test-k1", regionId: "DE-FRA" })!.fingerprint(backend.key.secret_access_key)).not.toBe(fp);
    expect(FingerprintKeys.fromSettings({ dedicated: "x".repeat(32), regionId: "FI-HEL" })!.fingerprint(backend.key.secret_access_key)).toMatch(/^hmac-sha256:cfg:[0-9a-f]{24}$/);

    const legacy = createHash("sha256").update(backend.key.secret_access_key).digest("hex").slice(0, 12);
    await sql`update storage_targets set secret_fingerprint = ${legacy} where customer_id = 'rot-co'`;
    expect((await view("rot-co")).target.secret_fingerprint).toBe(fp);
    const [row] = await sql`select secret_fingerprint from storage_targets where customer_id = 'rot-co'`;
    expect(row!.secret_fingerprint).toBe(fp);
  });
});
