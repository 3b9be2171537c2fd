import { randomBytes } from "node:crypto";
import { MasterKeyRing, SigningKeyMemo } from "@s3gw/core";
import pino from "pino";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findActiveAccessKey } from "../src/services/access/access-keys.ts";
import { startRegionalGateway, type RunningGateway } from "../src/start.ts";
import { everyStoredText } from "./customer-storage-helpers.ts";
import { adminAuth, allPages, bearer, mintToken, register, startTestRegion, TEST_MASTER_KEYS, type TestRegion } from "./harness.ts";

interface CreatedKey {
  access_key_id: string;
  secret_access_key: string;
  customer_id: string;
  permission: string;
  allowed_buckets: string[] | null;
  status: string;
  created_at: string;
}

const json = { "content-type": "application/json" };
const keysPath = (customer: string) => `/api/customers/${customer}/access-keys`;

async function createKey(url: string, customer: string, body: unknown = {}, auth: Record<string, string> = adminAuth): Promise<Response> {
  return fetch(`${url}${keysPath(customer)}`, { method: "POST", headers: { ...json, ...auth }, body: JSON.stringify(body) });
}

async function created(url: string, customer: string, body: unknown = {}): Promise<CreatedKey> {
  const res = await createKey(url, customer, body);
  expect(res.status).toBe(201);
  return (await res.json()) as CreatedKey;
}


let fi: TestRegion;
let sql: postgres.Sql;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
  expect((await register(fi.url, "globex")).status).toBe(201);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("access keys", () => {
  it("shows the secret once, stores it only sealed under the active master key, and never lists it", async () => {
    const key = await created(fi.url, "acme-corp", { description: "backup job", permission: "read-only", allowed_buckets: ["documents", "documents"] });
    expect(key.access_key_id).toMatch(/^S3GW[A-Z2-7]{16}$/);
    expect(key.secret_access_key).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(key).toMatchObject({ customer_id: "acme-corp", permission: "read-only", allowed_buckets: ["documents"], status: "active" });

    const [row] = await sql`select secret_ciphertext, secret_key_id from access_keys where access_key_id = ${key.access_key_id}`;
    expect(row!.secret_key_id).toBe("test-k1");
    expect(row!.secret_ciphertext).toMatch(/^v1\.test-k1\./);

    const list = await fetch(`${fi.url}${keysPath("acme-corp")}`, { headers: adminAuth });
    expect(list.status).toBe(200);
    const listed = await list.text();
    expect(listed).toContain(key.access_key_id);
    expect(listed).not.toContain(key.secret_access_key);
    expect(listed).not.toContain(row!.secret_ciphertext);
    expect(listed).not.toMatch(/secret/);

    // Nowhere in the database in plain text: not the key row, not the operations log.
    expect(await everyStoredText(sql)).not.toContain(key.secret_access_key);
    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'CreateAccessKey' and status_code = 201`;
    expect(logged!.compliance_info).toMatchObject({ access_key_id: key.access_key_id, permission: "read-only", registered_with_router: false });

    expect(await findActiveAccessKey(fi.deps, key.access_key_id)).toEqual({
      accessKeyId: key.access_key_id,
      customerId: "acme-corp",
      secretAccessKey: key.secret_access_key,
      permission: "read-only",
      allowedBuckets: ["documents"],
      bypassGovernance: false,
      signingKeys: expect.any(SigningKeyMemo),
    });
    // The memo of derived signing keys keeps its secret out of sight (inspection, logs, JSON).
    expect(JSON.stringify((await findActiveAccessKey(fi.deps, key.access_key_id))!.signingKeys)).toBe("{}");
  });

  it("defaults to read-write on every bucket and validates the body", async () => {
    const res = await fetch(`${fi.url}${keysPath("globex")}`, { method: "POST", headers: adminAuth });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ permission: "read-write", allowed_buckets: null, status: "active" });
    for (const bad of [{ permission: "admin" }, { allowed_buckets: ["api"] }, { allowed_buckets: ["Bad_Name"] }, { allowed_buckets: [] }, { secret: "mine" }]) {
      const r = await createKey(fi.url, "globex", bad);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
    }
    const reserved = await createKey(fi.url, "globex", { allowed_buckets: ["metrics"] });
    expect(await reserved.text()).toContain("reserved");
    expect((await createKey(fi.url, "nobody-here")).status).toBe(404);
  });

  it("disables, re-enables and deletes keys; only active keys are found", async () => {
    const key = await created(fi.url, "globex");
    const patch = (status: string) =>
      fetch(`${fi.url}${keysPath("globex")}/${key.access_key_id}`, { method: "PATCH", headers: { ...json, ...adminAuth }, body: JSON.stringify({ status }) });
    const disabled = await patch("disabled");
    expect(disabled.status).toBe(200);
    expect(await disabled.json()).toMatchObject({ access_key_id: key.access_key_id, status: "disabled" });
    expect(await findActiveAccessKey(fi.deps, key.access_key_id)).toBeUndefined();
    expect((await patch("paused")).status).toBe(400);
    expect((await patch("active")).status).toBe(200);
    expect((await findActiveAccessKey(fi.deps, key.access_key_id))?.secretAccessKey).toBe(key.secret_access_key);

    // Another customer's path does not reach this key.
    expect((await fetch(`${fi.url}${keysPath("acme-corp")}/${key.access_key_id}`, { method: "DELETE", headers: adminAuth })).status).toBe(404);
    const del = await fetch(`${fi.url}${keysPath("globex")}/${key.access_key_id}`, { method: "DELETE", headers: adminAuth });
    expect(del.status).toBe(204);
    expect(await findActiveAccessKey(fi.deps, key.access_key_id)).toBeUndefined();
    expect((await fetch(`${fi.url}${keysPath("globex")}/${key.access_key_id}`, { method: "DELETE", headers: adminAuth })).status).toBe(404);
    expect((await fetch(`${fi.url}${keysPath("globex")}/not-a-key`, { method: "DELETE", headers: adminAuth })).status).toBe(400);
  });

  it("pages through a customer's keys, each exactly once", async () => {
    for (let i = 0; i < 4; i++) await created(fi.url, "acme-corp");
    const pages = await allPages<{ access_key_id: string; customer_id: string }>(fi.url, `${keysPath("acme-corp")}?limit=2`);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const ids = pages.flat().map((k) => k.access_key_id);
    const [{ n }] = (await sql`select count(*)::int as n from access_keys where customer_id = 'acme-corp'`) as unknown as [{ n: number }];
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    expect(pages.flat().every((k) => k.customer_id === "acme-corp")).toBe(true);
  });

  it("lets admins and the customer's own admin or compliance officer manage keys, auditors only read", async () => {
    const acmeOfficer = await mintToken(fi.url, "acme dpo", "compliance_officer", "acme-corp");
    const acmeAdmin = await mintToken(fi.url, "acme admin", "admin", "acme-corp");
    const acmeAuditor = await mintToken(fi.url, "acme auditor", "auditor", "acme-corp");
    const regionOfficer = await mintToken(fi.url, "region dpo", "compliance_officer");
    const regionAuditor = await mintToken(fi.url, "region auditor", "auditor");

    expect((await createKey(fi.url, "acme-corp", {}, bearer(acmeOfficer))).status).toBe(201);
    expect((await createKey(fi.url, "acme-corp", {}, bearer(acmeAdmin))).status).toBe(201);
    expect((await createKey(fi.url, "globex", {}, bearer(acmeOfficer))).status).toBe(403);
    expect((await createKey(fi.url, "globex", {}, bearer(acmeAdmin))).status).toBe(403);
    expect((await createKey(fi.url, "acme-corp", {}, bearer(acmeAuditor))).status).toBe(403);
    expect((await createKey(fi.url, "acme-corp", {}, bearer(regionOfficer))).status).toBe(403);
    expect((await createKey(fi.url, "acme-corp", {}, bearer(regionAuditor))).status).toBe(403);
    expect((await createKey(fi.url, "acme-corp", {}, {})).status).toBe(401);

    expect((await fetch(`${fi.url}${keysPath("acme-corp")}`, { headers: bearer(acmeAuditor) })).status).toBe(200);
    expect((await fetch(`${fi.url}${keysPath("acme-corp")}`, { headers: bearer(regionAuditor) })).status).toBe(200);
    expect((await fetch(`${fi.url}${keysPath("globex")}`, { headers: bearer(acmeAuditor) })).status).toBe(403);

    const rotate = (auth: Record<string, string>) => fetch(`${fi.url}/api/access-keys/rotate-master-key`, { method: "POST", headers: auth });
    expect((await rotate(bearer(acmeAdmin))).status).toBe(403);
    expect((await rotate(bearer(regionOfficer))).status).toBe(403);

    // Denials are in the operations log under the operation's name.
    const denied = await sql`select operation_type, status_code from operations_log where result = 'denied' and operation_type in ('CreateAccessKey', 'ListAccessKeys', 'RotateMasterKey')`;
    expect(denied.filter((r) => r.operation_type === "CreateAccessKey")).toHaveLength(6);
    expect(denied.some((r) => r.operation_type === "ListAccessKeys" && r.status_code === 403)).toBe(true);
    expect(denied.filter((r) => r.operation_type === "RotateMasterKey")).toHaveLength(2);
  });
});

describe("master keys", () => {
  it("re-seals every secret under the new active key; old secrets stay usable before and after", async () => {
    const us = await startTestRegion("US-EAST");
    const running: RunningGateway[] = [];
    const db = postgresClient(us.databaseUrl, { max: 1 });
    try {
      expect((await register(us.url, "us-health", { country: "US" })).status).toBe(201);
      const before = [await created(us.url, "us-health"), await created(us.url, "us-health")];
      await us.close();

      // Restart with a second key made active; the first stays configured to read old secrets.
      const k2 = `test-k2:${randomBytes(32).toString("base64")}`;
      const restart = async (masterKeys: MasterKeyRing) => {
        const gw = await startRegionalGateway({ ...us.deps.config, port: 0, masterKeys }, { logger: pino({ level: "silent" }) });
        running.push(gw);
        return gw;
      };
      const both = await restart(MasterKeyRing.parse(`${TEST_MASTER_KEYS},${k2}`, "test-k2"));
      for (const k of before) expect((await findActiveAccessKey(both.deps, k.access_key_id))?.secretAccessKey).toBe(k.secret_access_key);
      const fresh = await created(both.url, "us-health");
      const rotate = () => fetch(`${both.url}/api/access-keys/rotate-master-key`, { method: "POST", headers: adminAuth });
      const res = await rotate();
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ active_key_id: "test-k2", re_encrypted: 2, unreadable: [], total: 3, storage_targets: { re_encrypted: 0, unreadable: [], total: 0 }, notification_targets: { re_encrypted: 0, unreadable: [], total: 0 } });
      const rows = await db`select secret_key_id, secret_ciphertext from access_keys`;
      expect(rows.map((r) => r.secret_key_id)).toEqual(["test-k2", "test-k2", "test-k2"]);
      expect(rows.every((r) => String(r.secret_ciphertext).startsWith("v1.test-k2."))).toBe(true);
      expect(await (await rotate()).json()).toMatchObject({ re_encrypted: 0, total: 3 });
      await both.close();

      // With the old key retired, every secret still opens: it was re-sealed, not just relabelled.
      const onlyNew = await restart(MasterKeyRing.parse(k2));
      for (const k of [...before, fresh]) expect((await findActiveAccessKey(onlyNew.deps, k.access_key_id))?.secretAccessKey).toBe(k.secret_access_key);
      await onlyNew.close();
    } finally {
      await db.end();
      for (const gw of running) await gw.close().catch(() => {});
      await us.destroy();
    }
  });

  it("refuses to create keys without MASTER_KEYS, and undoes a key the global router could not learn", async () => {
    const de = await startTestRegion("DE-FRA", { masterKeys: undefined });
    const db = postgresClient(de.databaseUrl, { max: 1 });
    try {
      // Registered standalone first: registration itself is confirmed with the router, and an unreachable
      // router would refuse it (503) before key creation is ever reached.
      expect((await register(de.url, "rhein-pharma", { country: "DE" })).status).toBe(201);
      de.deps.config.globalRouterUrl = "http://127.0.0.1:1";
      const noKeys = await createKey(de.url, "rhein-pharma");
      expect(noKeys.status).toBe(503);
      expect(((await noKeys.json()) as { error: { message: string } }).error.message).toMatch(/MASTER_KEYS/);

      de.deps.config.masterKeys = MasterKeyRing.parse(TEST_MASTER_KEYS);
      const unreachable = await createKey(de.url, "rhein-pharma");
      expect(unreachable.status).toBe(503);
      expect(((await unreachable.json()) as { error: { message: string } }).error.message).toMatch(/global router/);
      expect(await db`select access_key_id from access_keys`).toHaveLength(0);
    } finally {
      await db.end();
      await de.destroy();
    }
  });
});
