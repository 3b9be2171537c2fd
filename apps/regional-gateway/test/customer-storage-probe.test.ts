import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, type CapturedGateway, closedPort, everyStoredText, filesUnder, recordingFetch, startBackend, startCapturedRegion } from "./customer-storage-helpers.ts";
import { adminAuth, bearer, mintToken, registerWithBuckets } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

const json = { "content-type": "application/json" };
let backend: Backend;
let gw: CapturedGateway;
let sql: postgres.Sql;
const http = recordingFetch();
const WRONG_SECRET = "wrong-secret-Zq8X0vGxY3mN5bT1cD7eF9hJ2kL4";
const SESSION_TOKEN = "session-token-Pw6Rt2Yu8Io0Ap3Sd5Fg7Hj9Kl";

const storagePath = (customer: string, rest = "") => `${gw.url}/api/customers/${customer}/storage${rest}`;
const putStorage = (customer: string, body: Record<string, unknown>, auth: Record<string, string> = adminAuth) =>
  http.call(storagePath(customer), { method: "PUT", headers: { ...json, ...auth }, body: JSON.stringify(body) });
const validate = (customer: string) => http.call(storagePath(customer, "/validate"), { method: "POST", headers: adminAuth });
const view = async (customer: string) => (await http.call(storagePath(customer), { headers: adminAuth })).json();
const config = (extra: Record<string, unknown> = {}) => ({
  provider_label: "garage",
  endpoint: backend.url,
  region: "garage",
  country: "DE",
  bucket: "probe-vault",
  access_key_id: backend.key.access_key_id,
  secret_access_key: backend.key.secret_access_key,
  ...extra,
});
const lastAudit = async (operation: string) =>
  (await sql`select compliance_info, principal, status_code from operations_log where operation_type = ${operation} order by id desc limit 1`)[0]!;

beforeAll(async () => {
  backend = await startBackend(["probe-vault"]);
  gw = await startCapturedRegion("FI-HEL");
  sql = postgresClient(gw.databaseUrl, { max: 1 });
  await registerWithBuckets(gw.url, "probe-co", ["docs"], { data_residency_requirement: "jurisdiction" });
  await registerWithBuckets(gw.url, "other-co", [], { data_residency_requirement: "jurisdiction" });
});
afterAll(async () => {
  await sql?.end();
  await gw?.destroy();
  backend?.sdk.destroy();
  await backend?.region.destroy();
});

describe("customer storage configuration", () => {
  it("validates its input: country outside AWS, AWS regions' own countries, strict fields", async () => {
    expect((await http.call(storagePath("probe-co"), { headers: adminAuth })).status).toBe(404);
    const cases: [Record<string, unknown>, RegExp][] = [
      [config({ country: undefined }), /country is required for a non-AWS endpoint/],
      [config({ endpoint: undefined }), /endpoint is required unless provider_label is aws/],
      [config({ provider_label: "aws", region: "eu-central-1", country: "FR" }), /eu-central-1 is in DE, not FR/],
      [config({ provider_label: "aws", region: "mars-north-1", country: undefined }), /unknown AWS region mars-north-1/],
      [config({ country: "Atlantis" }), /unknown country/],
      [config({ path_prefix: "/leading" }), /path_prefix/],
      [config({ endpoint: `http://user:pw@127.0.0.1:9` }), /endpoint/],
      [config({ surprise: true }), /surprise/],
      [config({ override_validation: true }), /override_validation applies only/],
    ];
    for (const [body, message] of cases) {
      const res = await putStorage("probe-co", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message).toMatch(message);
    }
    expect((await http.call(storagePath("probe-co"), { method: "PUT", headers: { ...json, ...adminAuth }, body: "{not json" })).status).toBe(400);
    expect((await putStorage("no-such-co", config())).status).toBe(404);
    expect((await http.call(storagePath("probe-co"), { headers: adminAuth })).status).toBe(404);
  });

  it("is managed by admins and officers scoped to the customer; read roles may look", async () => {
    const auditor = bearer(await mintToken(gw.url, "auditor", "auditor"));
    const officer = bearer(await mintToken(gw.url, "officer", "compliance_officer"));
    const scoped = bearer(await mintToken(gw.url, "probe officer", "compliance_officer", "probe-co"));
    expect((await putStorage("probe-co", config(), auditor)).status).toBe(403);
    expect((await putStorage("probe-co", config(), officer)).status).toBe(403);
    expect((await putStorage("other-co", config(), scoped)).status).toBe(403);
    // A non-AWS bucket's country is only declared, and only an admin may declare it.
    const declaring = await putStorage("probe-co", config(), scoped);
    expect(declaring.status).toBe(403);
    expect(declaring.json().error.message).toMatch(/only an admin may declare the country/);
    expect((await http.call(storagePath("probe-co"), { headers: adminAuth })).status).toBe(404);
    const declared = await putStorage("probe-co", config());
    expect(declared.status).toBe(200);
    expect(declared.json().target).toMatchObject({ country: "DE", country_basis: "declared", country_declared_by: "token:bootstrap-admin(admin)" });
    expect(Date.parse(declared.json().target.country_declared_at)).toBeGreaterThan(0);
    expect((await lastAudit("PutCustomerStorage")).compliance_info.fields_changed).toEqual(["provider_label", "endpoint", "region", "country", "bucket", "path_prefix", "access_key_id", "secret_access_key", "allow_hosted_fallback"]);
    // Once declared, an officer scoped to the customer manages the same place (the declaration stands as made).
    const saved = await putStorage("probe-co", config(), scoped);
    expect(saved.status).toBe(200);
    expect(saved.json().target.country_declared_by).toBe("token:bootstrap-admin(admin)");
    expect(saved.json()).toMatchObject({ enabled: false, status: "unvalidated", effective_write_target: "fi-hel-fs", target: { country: "DE", provider_label: "garage" } });
    expect(saved.json().probe).toBeUndefined();
    expect((await http.call(storagePath("probe-co"), { headers: auditor })).status).toBe(200);
    expect((await http.call(storagePath("probe-co", "/validate"), { method: "POST", headers: auditor })).status).toBe(403);
    const audit = await lastAudit("PutCustomerStorage");
    expect(audit.principal).toMatch(/compliance_officer@probe-co/);
    expect(audit.compliance_info.fields_changed).toEqual([]);
  });

  it("classifies probe failures: wrong secret, missing bucket, closed port", async () => {
    const port = await closedPort();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ secret_access_key: WRONG_SECRET, session_token: SESSION_TOKEN }, "invalid_credentials", "bucket_exists"],
      [{ bucket: "no-such-vault" }, "no_such_bucket", "bucket_exists"],
      [{ endpoint: `http://127.0.0.1:${port}` }, "unreachable_endpoint", "bucket_exists"],
    ];
    for (const [extra, errorClass, failedCheck] of cases) {
      expect((await putStorage("probe-co", config({ ...extra, activate: false }))).status).toBe(200);
      const res = await validate("probe-co");
      expect(res.status).toBe(200);
      const probe = res.json();
      expect(probe).toMatchObject({ ok: false, error_class: errorClass });
      expect(probe.checks).toHaveLength(6);
      expect(probe.checks[0]).toMatchObject({ name: failedCheck, ok: false });
      expect(probe.checks.slice(1).every((c: { ok: boolean }) => !c.ok)).toBe(true);
      const stored = await view("probe-co");
      expect(stored).toMatchObject({ status: "unhealthy", last_error_class: errorClass, last_success_at: null, enabled: false });
      expect(stored.last_error).toMatch(/^bucket_exists: /);
      expect(stored.last_checked_at).not.toBeNull();
      expect((await lastAudit("ValidateCustomerStorage")).compliance_info).toMatchObject({ fields_changed: [], activation_override: false, probe_ok: false, error_class: errorClass });
    }
    expect((await putStorage("probe-co", config({ activate: false }))).status).toBe(200);
    const ok = await validate("probe-co");
    expect(ok.json()).toEqual({ ok: true, checks: expect.arrayContaining([{ name: "read_back", ok: true, detail: expect.stringMatching(/identical bytes/) }]) });
    expect(await view("probe-co")).toMatchObject({ status: "healthy", last_error_class: null, enabled: false });
  });

  it("refuses activation without a passing probe unless an admin overrides it, and records the override", async () => {
    const before = await view("probe-co");
    const refused = await putStorage("probe-co", config({ secret_access_key: WRONG_SECRET, activate: true }));
    expect(refused.status).toBe(409);
    expect(refused.json().error.message).toMatch(/passing probe.*invalid_credentials/);
    expect(await view("probe-co")).toMatchObject({ enabled: false, target: before.target });

    const scoped = bearer(await mintToken(gw.url, "probe officer 2", "compliance_officer", "probe-co"));
    expect((await putStorage("probe-co", config({ secret_access_key: WRONG_SECRET, activate: true, override_validation: true }), scoped)).status).toBe(403);

    const forced = await putStorage("probe-co", config({ secret_access_key: WRONG_SECRET, activate: true, override_validation: true }));
    expect(forced.status).toBe(200);
    const target = forced.json().target_id;
    expect(forced.json()).toMatchObject({ enabled: true, status: "unvalidated", activation_override_by: "token:bootstrap-admin(admin)", effective_write_target: target });
    const audit = await lastAudit("PutCustomerStorage");
    expect(audit.compliance_info).toEqual({ fields_changed: ["secret_access_key", "enabled"], target_id: target, activation_override: true });

    // Overridden, the bucket takes the writes, and its refusal is the client's 503, never a hosted copy.
    const hosted = await filesUnder(gw.storageDir);
    const put = await http.call(`${gw.url}/s3/docs/a.txt`, { method: "PUT", body: "x", headers: { "x-customer-id": "probe-co" } });
    expect(put.status).toBe(503);
    expect(xmlValue(put.text, "Code")).toBe("ServiceUnavailable");
    expect((await validate("probe-co")).json().error_class).toBe("invalid_credentials");
    const unhealthy = await http.call(`${gw.url}/s3/docs/a.txt`, { method: "PUT", body: "x", headers: { "x-customer-id": "probe-co" } });
    expect(unhealthy.status).toBe(503);
    expect(xmlValue(unhealthy.text, "Code")).toBe("CustomerStorageUnavailable");
    expect(await filesUnder(gw.storageDir)).toEqual(hosted);

    // The right secret for the same place: the same target, probed again, the override cleared.
    const fixed = await putStorage("probe-co", config());
    expect(fixed.status).toBe(200);
    expect(fixed.json()).toMatchObject({ target_id: target, enabled: true, status: "healthy", activation_override_by: null, probe: { ok: true } });
    expect((await http.call(`${gw.url}/s3/docs/a.txt`, { method: "PUT", body: "x", headers: { "x-customer-id": "probe-co" } })).status).toBe(200);
    expect(await backend.keys("probe-vault")).toHaveLength(1);
  });

  it("never shows a secret: not in answers, log lines or any database column", async () => {
    const secrets = [backend.key.secret_access_key, WRONG_SECRET, SESSION_TOKEN];
    const logs = gw.logs.join("\n");
    expect(logs).toContain("ValidateCustomerStorage");
    const stored = await everyStoredText(sql);
    expect(stored).toContain("v1.test-k1.");
    for (const secret of secrets) {
      for (const body of http.bodies) expect(body.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
      expect(stored.includes(secret)).toBe(false);
    }
  });
});
