import { MasterKeyRing } from "@s3gw/core";
import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalKeyProvider } from "../src/services/keys/local-key-provider.ts";
import { openKek } from "../src/services/keys/key-material.ts";
import { everyStoredText } from "./customer-storage-helpers.ts";
import { createKey, keyAction, keyApi, keysPath, kmsOutcome } from "./customer-keys-helpers.ts";
import { allPages, bearer, mintToken, register, startTestRegion, TEST_MASTER_KEYS, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let keys: LocalKeyProvider;
const ring = MasterKeyRing.parse(TEST_MASTER_KEYS);

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  keys = fi.deps.keys as LocalKeyProvider;
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
  expect((await register(fi.url, "globex")).status).toBe(201);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

/** Every opened KEK of the region, as base64 and hex: none of them may appear anywhere else. */
async function openedMaterials(): Promise<string[]> {
  const rows = await sql`select key_id, customer_id, version, material from customer_key_versions where material is not null`;
  return rows.flatMap((r) => {
    const m = openKek(ring, { customerId: r.customer_id, keyId: r.key_id, version: r.version }, r.material);
    return [m.toString("base64"), m.toString("hex"), m.toString("base64url")];
  });
}

describe("customer key API", () => {
  it("creates a key with an ARN, lists and shows it, and never shows or stores material in the clear", async () => {
    const key = await createKey(fi.url, "acme-corp", { description: "payroll" });
    expect(key).toMatchObject({ customer_id: "acme-corp", description: "payroll", state: "Enabled", current_version: 1, is_default: false, deletion_date: null });
    expect(key.arn).toBe(`arn:aws:kms:fi-hel:acme-corp:key/${key.key_id}`);
    const shown = await keyApi(fi.url, `${keysPath("acme-corp")}/${key.key_id}`);
    expect(shown.status).toBe(200);
    const [sealed] = await sql`select material from customer_key_versions where key_id = ${key.key_id}`;
    expect(sealed!.material).toMatch(/^v1\.test-k1\./);
    const listed = await (await keyApi(fi.url, keysPath("acme-corp"))).text();
    const texts = [JSON.stringify(key), await shown.text(), listed];
    for (const t of texts) expect(t).not.toMatch(/material|v1\.test-k1\./);
    const materials = await openedMaterials();
    const stored = await everyStoredText(sql);
    for (const m of materials) {
      for (const t of texts) expect(t).not.toContain(m);
      expect(stored).not.toContain(m);
    }
    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'CreateCustomerKey' and status_code = 201`;
    expect(logged!.compliance_info).toMatchObject({ key_id: key.key_id, state: "Enabled", current_version: 1 });
  });

  it("pages the list with an opaque cursor and refuses a tampered one", async () => {
    for (let i = 0; i < 3; i++) await createKey(fi.url, "globex", { description: `k${i}` });
    const pages = await allPages<{ key_id: string }>(fi.url, `${keysPath("globex")}?limit=2`);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(new Set(pages.flat().map((k) => k.key_id)).size).toBe(pages.flat().length);
    const bad = await keyApi(fi.url, `${keysPath("globex")}?cursor=${Buffer.from('{"t":"x","id":"y"}').toString("base64url")}`);
    expect(bad.status).toBe(400);
  });

  it("refuses another customer's key id exactly like an unknown one, on the API and in the provider", async () => {
    const acme = await createKey(fi.url, "acme-corp");
    const unknown = "00000000-0000-4000-8000-000000000000";
    for (const id of [acme.key_id, unknown]) {
      const res = await keyApi(fi.url, `${keysPath("globex")}/${id}`);
      expect(res.status).toBe(404);
      expect((await keyAction(fi.url, "globex", id, "disable")).status).toBe(404);
      expect(await kmsOutcome(keys.resolveKey("globex", id))).toBe("KMS.NotFoundException");
      expect(await kmsOutcome(keys.generateDataKey({ customerId: "globex", keyId: id }))).toBe("KMS.NotFoundException");
    }
    expect(await kmsOutcome(keys.resolveKey("globex", acme.arn))).toBe("KMS.NotFoundException");
    expect(await kmsOutcome(keys.resolveKey("acme-corp", acme.arn))).toBe("ok");
    expect(await keys.resolveKey("acme-corp", acme.arn)).toBe(acme.key_id);
    expect(await kmsOutcome(keys.resolveKey("acme-corp", acme.arn.replace("fi-hel", "de-fra")))).toBe("KMS.NotFoundException");
    expect(await kmsOutcome(keys.resolveKey("acme-corp", "alias/aws/s3"))).toBe("KMS.NotFoundException");
    const dk = await keys.generateDataKey({ customerId: "acme-corp", keyId: acme.key_id });
    expect(await kmsOutcome(keys.decryptDataKey({ customerId: "globex", keyId: dk.keyId, keyVersion: dk.keyVersion, wrapped: dk.wrapped }))).toBe("KMS.NotFoundException");
    // Only from globex's own path would the state matter: still Enabled after globex's attempts.
    expect(((await (await keyApi(fi.url, `${keysPath("acme-corp")}/${acme.key_id}`)).json()) as { state: string }).state).toBe("Enabled");
  });

  it("detects a tampered wrapping, one moved to another key, and an unknown version", async () => {
    const a = await createKey(fi.url, "acme-corp");
    const b = await createKey(fi.url, "acme-corp");
    const dk = await keys.generateDataKey({ customerId: "acme-corp", keyId: a.key_id });
    expect(dk.plaintext.length).toBe(32);
    expect((await keys.decryptDataKey({ customerId: "acme-corp", ...dk })).equals(dk.plaintext)).toBe(true);
    const raw = Buffer.from(dk.wrapped, "base64url");
    raw[raw.length - 1]! ^= 1;
    const cases = [
      { ...dk, wrapped: raw.toString("base64url") },
      { ...dk, keyId: b.key_id },
      { ...dk, keyVersion: 2 },
      { ...dk, wrapped: "not!base64" },
    ];
    for (const c of cases) expect(await kmsOutcome(keys.decryptDataKey({ customerId: "acme-corp", keyId: c.keyId, keyVersion: c.keyVersion, wrapped: c.wrapped }))).toBe("KMS.InvalidCiphertextException");
  });

  it("rotates: new data keys use the new version, old wrappings keep decrypting", async () => {
    const key = await createKey(fi.url, "acme-corp");
    const old = await keys.generateDataKey({ customerId: "acme-corp", keyId: key.key_id });
    const rotated = await keyAction(fi.url, "acme-corp", key.key_id, "rotate");
    expect(rotated.status).toBe(200);
    expect(rotated.body.current_version).toBe(2);
    const fresh = await keys.generateDataKey({ customerId: "acme-corp", keyId: key.key_id });
    expect([old.keyVersion, fresh.keyVersion]).toEqual([1, 2]);
    expect((await keys.decryptDataKey({ customerId: "acme-corp", keyId: old.keyId, keyVersion: 1, wrapped: old.wrapped })).equals(old.plaintext)).toBe(true);
    expect((await keys.decryptDataKey({ customerId: "acme-corp", keyId: fresh.keyId, keyVersion: 2, wrapped: fresh.wrapped })).equals(fresh.plaintext)).toBe(true);
    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'RotateCustomerKey' and status_code = 200`;
    expect(logged!.compliance_info).toEqual({ key_id: key.key_id, current_version: 2 });
  });

  it("a disabled key refuses every use until enabled again; rotation of a disabled key is a 409", async () => {
    const key = await createKey(fi.url, "acme-corp");
    const dk = await keys.generateDataKey({ customerId: "acme-corp", keyId: key.key_id });
    const disabled = await keyAction(fi.url, "acme-corp", key.key_id, "disable");
    expect([disabled.status, disabled.body.state]).toEqual([200, "Disabled"]);
    expect(await kmsOutcome(keys.decryptDataKey({ customerId: "acme-corp", ...dk }))).toBe("KMS.DisabledException");
    expect(await kmsOutcome(keys.generateDataKey({ customerId: "acme-corp", keyId: key.key_id }))).toBe("KMS.DisabledException");
    expect(await kmsOutcome(keys.resolveKey("acme-corp", key.key_id))).toBe("KMS.DisabledException");
    expect((await keyAction(fi.url, "acme-corp", key.key_id, "rotate")).status).toBe(409);
    expect((await keyAction(fi.url, "acme-corp", key.key_id, "enable")).body.state).toBe("Enabled");
    expect((await keys.decryptDataKey({ customerId: "acme-corp", ...dk })).equals(dk.plaintext)).toBe(true);
    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'DisableCustomerKey' and status_code = 200`;
    expect(logged!.compliance_info).toEqual({ key_id: key.key_id, state_before: "Enabled", state: "Disabled" });
  });

  it("schedules deletion 7..30 days ahead, refuses every use meanwhile, and cancels to Disabled", async () => {
    const key = await createKey(fi.url, "acme-corp");
    const dk = await keys.generateDataKey({ customerId: "acme-corp", keyId: key.key_id });
    for (const pending_days of [6, 31, "7"]) expect((await keyAction(fi.url, "acme-corp", key.key_id, "schedule-deletion", { pending_days })).status).toBe(400);
    const scheduled = await keyAction(fi.url, "acme-corp", key.key_id, "schedule-deletion", {});
    expect(scheduled.body.state).toBe("PendingDeletion");
    const days = (Date.parse(scheduled.body.deletion_date!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    expect(await kmsOutcome(keys.decryptDataKey({ customerId: "acme-corp", ...dk }))).toBe("KMS.KMSInvalidStateException");
    expect(await kmsOutcome(keys.generateDataKey({ customerId: "acme-corp", keyId: key.key_id }))).toBe("KMS.KMSInvalidStateException");
    expect((await keyAction(fi.url, "acme-corp", key.key_id, "enable")).status).toBe(409);
    expect((await keyAction(fi.url, "acme-corp", key.key_id, "disable")).status).toBe(409);
    const cancelled = await keyAction(fi.url, "acme-corp", key.key_id, "cancel-deletion");
    expect([cancelled.body.state, cancelled.body.deletion_date]).toEqual(["Disabled", null]);
    expect((await keyAction(fi.url, "acme-corp", key.key_id, "cancel-deletion")).status).toBe(409);
  });

  it("creates one default key on first use, even under concurrent first uses, and refuses to schedule its deletion", async () => {
    await register(fi.url, "initech");
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? keys.defaultKeyId("initech") : keys.generateDataKey({ customerId: "initech" }).then((d) => d.keyId))));
    expect(new Set(ids).size).toBe(1);
    const rows = await sql`select key_id, is_default from customer_keys where customer_id = 'initech'`;
    expect(rows.map((r) => [r.key_id, r.is_default])).toEqual([[ids[0], true]]);
    const refused = await keyAction(fi.url, "initech", ids[0]!, "schedule-deletion", { pending_days: 7 });
    expect(refused.status).toBe(409);
    expect(refused.body.error!.message).toMatch(/default key/);
    expect(await kmsOutcome(keys.defaultKeyId("no-such-customer"))).toBe("KMS.NotFoundException");
  });

  it("lets auditors list but not manage; a scoped compliance officer manages only its customer; a region-wide one not at all", async () => {
    const key = await createKey(fi.url, "acme-corp");
    const auditor = bearer(await mintToken(fi.url, "keys-auditor", "auditor"));
    const regionOfficer = bearer(await mintToken(fi.url, "keys-officer", "compliance_officer"));
    const acmeOfficer = bearer(await mintToken(fi.url, "keys-acme-officer", "compliance_officer", "acme-corp"));
    expect((await keyApi(fi.url, keysPath("acme-corp"), { auth: auditor })).status).toBe(200);
    expect((await keyApi(fi.url, keysPath("acme-corp"), { body: {}, auth: auditor })).status).toBe(403);
    expect((await keyAction(fi.url, "acme-corp", key.key_id, "disable", {}, auditor)).status).toBe(403);
    expect((await keyApi(fi.url, keysPath("acme-corp"), { body: {}, auth: regionOfficer })).status).toBe(403);
    expect((await keyApi(fi.url, keysPath("acme-corp"), { body: {}, auth: acmeOfficer })).status).toBe(201);
    expect((await keyApi(fi.url, keysPath("globex"), { body: {}, auth: acmeOfficer })).status).toBe(403);
    expect((await keyApi(fi.url, keysPath("globex"), { auth: acmeOfficer })).status).toBe(403);
    expect((await keyAction(fi.url, "acme-corp", key.key_id, "rotate", {}, acmeOfficer)).status).toBe(200);
    expect((await keyApi(fi.url, keysPath("acme-corp"), { body: {}, auth: {} })).status).toBe(401);
    const denied = await sql`select count(*)::int as n from operations_log where operation_type = 'CreateCustomerKey' and result = 'denied'`;
    expect(denied[0]!.n).toBeGreaterThanOrEqual(3);
  });

});
