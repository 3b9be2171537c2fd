import { randomUUID } from "node:crypto";
import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKeyMaintenance } from "../src/services/keys/key-maintenance.ts";
import type { LocalKeyProvider } from "../src/services/keys/local-key-provider.ts";
import { createKey, keyAction, kmsOutcome } from "./customer-keys-helpers.ts";
import { adminAuth, bearer, mintToken, register, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let keys: LocalKeyProvider;
const json = { "content-type": "application/json" };
const shredPath = (c: string) => `/api/customers/${c}/crypto-shred`;
const shred = (c: string, body: unknown, auth = adminAuth) => fetch(`${fi.url}${shredPath(c)}`, { method: "POST", headers: { ...json, ...auth }, body: JSON.stringify(body) });
const shredStatus = async (c: string) => (await (await fetch(`${fi.url}${shredPath(c)}`, { headers: adminAuth })).json()) as Record<string, unknown> & { status: string; detail: Record<string, unknown> };
const cancel = (c: string) => fetch(`${fi.url}${shredPath(c)}`, { method: "DELETE", headers: adminAuth });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL", { cryptoShredDelaySeconds: 1 });
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  keys = fi.deps.keys as LocalKeyProvider;
  for (const c of ["acme-corp", "globex", "held-co", "late-hold"]) expect((await register(fi.url, c)).status).toBe(201);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

/** An object version of the customer with the given protection (written straight into the metadata). */
async function protectedObject(customer: string, protection: { legalHold?: boolean; retentionUntil?: Date }) {
  const name = `b-${randomUUID().slice(0, 8)}`;
  const [bucket] = await sql`insert into buckets (customer_id, bucket_name, region_id) values (${customer}, ${name}, 'FI-HEL') returning bucket_id`;
  const [row] = await sql`insert into object_metadata (customer_id, bucket_id, bucket_name, object_key, region_id, storage_provider_id, storage_country, storage_key, size_bytes, etag, sha256, content_type, legal_hold, retention_until)
    values (${customer}, ${bucket!.bucket_id}, ${name}, 'k', 'FI-HEL', 'fi-hel-fs', 'FI', ${`tenant-${customer}/${randomUUID()}`}, 1, 'e', 's', 'text/plain', ${protection.legalHold ?? false}, ${protection.retentionUntil ?? null})
    returning object_id`;
  return row!.object_id as string;
}

describe("crypto-shredding", () => {
  it("needs an admin and a reason", async () => {
    const auditor = bearer(await mintToken(fi.url, "shred-auditor", "auditor"));
    const officer = bearer(await mintToken(fi.url, "shred-officer", "compliance_officer", "acme-corp"));
    expect((await shred("acme-corp", { reason: "offboarding" }, auditor)).status).toBe(403);
    expect((await shred("acme-corp", { reason: "offboarding" }, officer)).status).toBe(403);
    expect((await shred("acme-corp", {})).status).toBe(400);
    expect((await shred("acme-corp", { reason: "   " })).status).toBe(400);
    expect((await shred("no-such-co", { reason: "x" })).status).toBe(404);
    expect((await fetch(`${fi.url}${shredPath("acme-corp")}`, { headers: auditor })).status).toBe(404); // may look; nothing there
    const [logged] = await sql`select count(*)::int as n from operations_log where operation_type = 'ScheduleCryptoShred' and result = 'denied'`;
    expect(logged!.n).toBe(2);
  });

  it("is refused with a 409 while the customer has a legal hold or unexpired retention", async () => {
    const held = await protectedObject("held-co", { legalHold: true });
    let res = await shred("held-co", { reason: "offboarding" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/legal hold or unexpired retention/) });
    await sql`update object_metadata set legal_hold = false, retention_until = now() + interval '1 day' where object_id = ${held}`;
    expect((await shred("held-co", { reason: "offboarding" })).status).toBe(409);
    await sql`update object_metadata set retention_until = now() - interval '1 second' where object_id = ${held}`;
    expect((await shred("held-co", { reason: "offboarding" })).status).toBe(202);
    expect((await cancel("held-co")).status).toBe(200);
  });

  it("is scheduled once, shown, and cancelled while pending; a cancelled request never runs", async () => {
    const key = await createKey(fi.url, "globex");
    const res = await shred("globex", { reason: "customer asked to erase everything" });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { status: string; execute_after: string; requested_at: string; reason: string };
    expect(body).toMatchObject({ status: "pending", reason: "customer asked to erase everything" });
    expect(Date.parse(body.execute_after) - Date.parse(body.requested_at)).toBe(1000);
    expect((await shred("globex", { reason: "again" })).status).toBe(409);
    expect((await shredStatus("globex")).status).toBe("pending");
    expect((await cancel("globex")).status).toBe(200);
    expect((await shredStatus("globex")).status).toBe("cancelled");
    expect((await cancel("globex")).status).toBe(409);
    await sleep(1100);
    await runKeyMaintenance(fi.deps);
    expect(await kmsOutcome(keys.resolveKey("globex", key.key_id))).toBe("ok");
  });

  it("runs after the delay: every key destroyed, decrypt fails as destroyed, audited, checkpointed, an event; the chain verifies", async () => {
    const named = await createKey(fi.url, "acme-corp");
    await keyAction(fi.url, "acme-corp", named.key_id, "rotate");
    const viaDefault = await keys.generateDataKey({ customerId: "acme-corp" });
    const viaNamed = await keys.generateDataKey({ customerId: "acme-corp", keyId: named.key_id });
    const bystander = await keys.generateDataKey({ customerId: "globex" });
    expect((await shred("acme-corp", { reason: "offboarding: contract ended" })).status).toBe(202);
    expect((await runKeyMaintenance(fi.deps)).shreds).toEqual([]); // not due yet
    expect(await kmsOutcome(keys.decryptDataKey({ customerId: "acme-corp", ...viaNamed }))).toBe("ok");
    await sleep(1100);
    const pass = await runKeyMaintenance(fi.deps);
    expect(pass.shreds).toEqual([expect.objectContaining({ customer_id: "acme-corp", status: "executed" })]);

    for (const dk of [viaDefault, viaNamed]) {
      await expect(keys.decryptDataKey({ customerId: "acme-corp", ...dk })).rejects.toMatchObject({ code: "KMS.KMSInvalidStateException", message: expect.stringMatching(/destroyed/) });
    }
    expect(await kmsOutcome(keys.generateDataKey({ customerId: "acme-corp" }))).toBe("KMS.KMSInvalidStateException");
    expect((await keys.decryptDataKey({ customerId: "globex", ...bystander })).equals(bystander.plaintext)).toBe(true);
    const versions = await sql`select v.material, v.destroyed_at, k.state from customer_key_versions v join customer_keys k using (key_id) where k.customer_id = 'acme-corp'`;
    expect(versions.length).toBeGreaterThanOrEqual(3);
    for (const v of versions) expect([v.material, v.state, v.destroyed_at !== null]).toEqual([null, "Destroyed", true]);

    const status = await shredStatus("acme-corp");
    expect(status).toMatchObject({ status: "executed", detail: { keys_destroyed: versions.length - 1 } });
    expect(typeof status.detail.audit_checkpoint_id).toBe("number");
    const [audit] = await sql`select id, compliance_info, principal from operations_log where operation_type = 'ExecuteCryptoShred' and customer_id = 'acme-corp'`;
    expect(audit!.principal).toBe("system:crypto-shred");
    expect(audit!.compliance_info).toMatchObject({ reason: "offboarding: contract ended", status: "executed" });
    const [checkpoint] = await sql`select last_id from audit_checkpoints where id = ${status.detail.audit_checkpoint_id as number}`;
    expect(Number(checkpoint!.last_id)).toBeGreaterThanOrEqual(Number(audit!.id));
    const [event] = await sql`select event_type, details from compliance_events where customer_id = 'acme-corp' and event_type like 'crypto_shred%'`;
    expect(event!.event_type).toBe("crypto_shred_executed");
    const verify = await fetch(`${fi.url}/api/audit/verify`, { headers: adminAuth });
    expect(await verify.json()).toMatchObject({ intact: true });
    // Destroyed stays destroyed: no way back through the key API.
    expect((await keyAction(fi.url, "acme-corp", named.key_id, "enable")).status).toBe(409);
    expect((await keyAction(fi.url, "acme-corp", named.key_id, "cancel-deletion")).status).toBe(409);
  });

  it("re-checks holds when due: a hold placed meanwhile refuses it, recorded, keys intact", async () => {
    const dk = await keys.generateDataKey({ customerId: "late-hold" });
    expect((await shred("late-hold", { reason: "offboarding" })).status).toBe(202);
    await protectedObject("late-hold", { legalHold: true });
    await sleep(1100);
    expect((await runKeyMaintenance(fi.deps)).shreds).toEqual([expect.objectContaining({ customer_id: "late-hold", status: "refused" })]);
    expect(await shredStatus("late-hold")).toMatchObject({ status: "refused", detail: { protected_object_versions: 1 } });
    expect((await keys.decryptDataKey({ customerId: "late-hold", ...dk })).equals(dk.plaintext)).toBe(true);
    const [event] = await sql`select event_type, severity from compliance_events where customer_id = 'late-hold'`;
    expect(event).toMatchObject({ event_type: "crypto_shred_refused", severity: "high" });
    expect((await sql`select count(*)::int as n from operations_log where operation_type = 'RefuseCryptoShred' and customer_id = 'late-hold'`)[0]!.n).toBe(1);
  });
});

describe("key deletion", () => {
  it("destroys a key when its waiting period is over, not before, and not once cancelled", async () => {
    const doomed = await createKey(fi.url, "globex");
    const spared = await createKey(fi.url, "globex");
    const dk = await keys.generateDataKey({ customerId: "globex", keyId: doomed.key_id });
    for (const k of [doomed, spared]) expect((await keyAction(fi.url, "globex", k.key_id, "schedule-deletion", { pending_days: 7 })).status).toBe(200);
    await runKeyMaintenance(fi.deps);
    expect((await sql`select state from customer_keys where key_id = ${doomed.key_id}`)[0]!.state).toBe("PendingDeletion");
    await sql`update customer_keys set deletion_date = now() - interval '1 second' where key_id in (${doomed.key_id}, ${spared.key_id})`;
    expect((await keyAction(fi.url, "globex", spared.key_id, "cancel-deletion")).body.state).toBe("Disabled");
    expect((await runKeyMaintenance(fi.deps)).destroyed).toBe(1);
    const rows = await sql`select key_id, state from customer_keys where key_id in (${doomed.key_id}, ${spared.key_id}) order by state`;
    expect(Object.fromEntries(rows.map((r) => [r.key_id, r.state]))).toEqual({ [doomed.key_id]: "Destroyed", [spared.key_id]: "Disabled" });
    expect((await sql`select count(*)::int as n from customer_key_versions where key_id = ${doomed.key_id} and material is not null`)[0]!.n).toBe(0);
    await expect(keys.decryptDataKey({ customerId: "globex", ...dk })).rejects.toMatchObject({ code: "KMS.KMSInvalidStateException", message: expect.stringMatching(/destroyed/) });
    const [audit] = await sql`select compliance_info from operations_log where operation_type = 'DestroyCustomerKey'`;
    expect(audit!.compliance_info).toMatchObject({ key_id: doomed.key_id, versions_destroyed: 1 });
  });
});
