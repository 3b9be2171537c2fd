import { createHash } from "node:crypto";
import { readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, bearer, mintToken, register, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let de: TestRegion;
let sql: postgres.Sql;
let vault: ReturnType<typeof s3>;
const tokens: Record<string, string> = {};
/** b.txt as the gateway stored it (sealed), kept to restore it after the intruder test. */
let sealedBravo: Buffer;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

interface Report {
  checked: number;
  ok: number;
  mismatched: { bucket: string; key: string; expected_sha256: string; actual_sha256: string | null; reason: string }[];
  duration_ms: number;
}

function verify(body: unknown, auth: Record<string, string> = adminAuth) {
  return fetch(`${de.url}/api/objects/verify`, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify(body) });
}

async function storagePath(bucket: string, key: string): Promise<string> {
  const [row] = await sql`select storage_key from object_metadata where customer_id = 'vault-co' and bucket_name = ${bucket} and object_key = ${key}`;
  return join(de.storageDir, row!.storage_key as string);
}

const objectStatus = async (key: string) =>
  (await sql`select compliance_status, last_verified_at from object_metadata where customer_id = 'vault-co' and object_key = ${key}`)[0]!;
const integrityEvents = () =>
  sql`select severity, bucket_name, object_key, details, remediation_deadline, created_at, resolved_at from compliance_events
      where customer_id = 'vault-co' and event_type = 'integrity_mismatch' order by created_at`;
async function summary() {
  const res = await fetch(`${de.url}/api/compliance/summary`, { headers: { "x-customer-id": "vault-co", ...adminAuth } });
  return (await res.json()) as { compliant_objects: number; compliance_percentage: number; open_violations: number };
}

beforeAll(async () => {
  de = await startTestRegion("DE-FRA");
  sql = postgresClient(de.databaseUrl, { max: 1 });
  vault = await registerWithBuckets(de.url, "vault-co", ["ledger", "archive"], { customer_name: "Vault Co", country: "Germany" });
  expect((await register(de.url, "other-co", { customer_name: "Other Co", country: "Germany" })).status).toBe(201);
  for (const [path, body] of [["/ledger/a.txt", "alpha"], ["/ledger/b.txt", "bravo"], ["/ledger/c.txt", "charlie"], ["/archive/d.txt", "delta"]]) {
    expect((await vault(path!, { method: "PUT", body: body! })).status).toBe(200);
  }
  tokens.auditor = await mintToken(de.url, "auditor", "auditor");
  tokens.officer = await mintToken(de.url, "dpo", "compliance_officer");
  tokens.otherScoped = await mintToken(de.url, "other officer", "compliance_officer", "other-co");
});
afterAll(async () => {
  await sql?.end();
  await de?.destroy();
});

describe("POST /api/objects/verify", () => {
  it("reports an intact object as ok and records when it was verified", async () => {
    expect((await objectStatus("a.txt")).last_verified_at).toBeNull();
    const res = await verify({ customer_id: "vault-co", bucket: "ledger", key: "a.txt" });
    expect(res.status).toBe(200);
    const report = (await res.json()) as Report;
    expect(report).toMatchObject({ checked: 1, ok: 1, mismatched: [] });
    expect(typeof report.duration_ms).toBe("number");
    expect(await objectStatus("a.txt")).toMatchObject({ compliance_status: "compliant", last_verified_at: expect.any(Date) });
  });

  it("detects bytes changed on disk behind the gateway's back, once", async () => {
    expect((await summary()).compliance_percentage).toBe(100);
    // The stored bytes are sealed (never the plaintext); an intruder's edit fails to authenticate.
    sealedBravo = await readFile(await storagePath("ledger", "b.txt"));
    expect(sealedBravo.includes("bravo")).toBe(false);
    await writeFile(await storagePath("ledger", "b.txt"), "bravo, edited by an intruder");

    // An auditor reads, but does not run a verification (it changes object state and raises events).
    expect((await verify({ customer_id: "vault-co", bucket: "ledger" }, bearer(tokens.auditor!))).status).toBe(403);
    expect((await objectStatus("b.txt")).compliance_status).toBe("compliant");
    expect(await integrityEvents()).toHaveLength(0);

    const res = await verify({ customer_id: "vault-co", bucket: "ledger" }, bearer(tokens.officer!));
    expect(res.status).toBe(200);
    const report = (await res.json()) as Report;
    expect(report).toMatchObject({ checked: 3, ok: 2 });
    expect(report.mismatched).toEqual([
      { bucket: "ledger", key: "b.txt", expected_sha256: sha256("bravo"), actual_sha256: null, reason: "hash_mismatch" },
    ]);
    expect((await objectStatus("b.txt")).compliance_status).toBe("integrity_failed");

    const events = await integrityEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      severity: "critical",
      bucket_name: "ledger",
      object_key: "b.txt",
      resolved_at: null,
      details: { expected_sha256: sha256("bravo"), actual_sha256: null, reason: "hash_mismatch" },
    });
    const hours = (events[0]!.remediation_deadline.getTime() - events[0]!.created_at.getTime()) / 3_600_000;
    expect(hours).toBe(24);

    const after = await summary();
    expect(after.compliant_objects).toBe(3);
    expect(after.compliance_percentage).toBe(75);
    expect(after.open_violations).toBe(1);

    const again = (await (await verify({ customer_id: "vault-co", bucket: "ledger" })).json()) as Report;
    expect(again.mismatched.map((m) => m.key)).toEqual(["b.txt"]);
    expect(await integrityEvents()).toHaveLength(1);

    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'VerifyObjectIntegrity' and principal like '%(compliance_officer)' and status_code = 200`;
    expect(logged!.compliance_info).toMatchObject({ checked: 3, ok: 2, mismatched: 1 });
  });

  it("detects missing bytes across a whole customer", async () => {
    await unlink(await storagePath("archive", "d.txt"));
    const report = (await (await verify({ customer_id: "vault-co" })).json()) as Report;
    expect(report.checked).toBe(4);
    expect(report.ok).toBe(2);
    expect(report.mismatched.map((m) => [m.key, m.reason, m.actual_sha256]).sort()).toEqual([
      ["b.txt", "hash_mismatch", null],
      ["d.txt", "missing_data", null],
    ]);
    expect((await objectStatus("d.txt")).compliance_status).toBe("missing_data");
    expect((await integrityEvents()).map((e) => e.object_key)).toEqual(["b.txt", "d.txt"]);
    expect((await summary()).compliance_percentage).toBe(50);
  });

  it("marks an object compliant again once its bytes are restored or rewritten", async () => {
    await writeFile(await storagePath("ledger", "b.txt"), sealedBravo);
    expect(await (await verify({ customer_id: "vault-co", bucket: "ledger", key: "b.txt" })).json()).toMatchObject({ checked: 1, ok: 1, mismatched: [] });
    expect((await objectStatus("b.txt")).compliance_status).toBe("compliant");
    expect((await vault("/archive/d.txt", { method: "PUT", body: "delta again" })).status).toBe(200);
    expect(await (await verify({ customer_id: "vault-co", bucket: "archive" })).json()).toMatchObject({ checked: 1, ok: 1 });
    expect((await summary()).compliance_percentage).toBe(100);
  });

  it("validates the selector and enforces roles and customer scope", async () => {
    expect((await fetch(`${de.url}/api/objects/verify`, { method: "POST", body: "{}" })).status).toBe(401);
    expect((await verify({ customer_id: "vault-co", key: "a.txt" })).status).toBe(400);
    expect((await verify({})).status).toBe(400);
    expect((await verify({ customer_id: "vault-co", bucket: "ledger", extra: 1 })).status).toBe(400);
    expect((await verify({ customer_id: "vault-co", bucket: "nope" })).status).toBe(404);
    expect((await verify({ customer_id: "vault-co", bucket: "ledger", key: "nope.txt" })).status).toBe(404);
    expect((await verify({ customer_id: "nobody-here" })).status).toBe(404);
    expect((await verify({ customer_id: "vault-co" }, bearer(tokens.auditor!))).status).toBe(403);
    const scoped = bearer(tokens.otherScoped!);
    expect((await verify({ customer_id: "vault-co" }, scoped)).status).toBe(403);
    expect(await (await verify({}, scoped)).json()).toMatchObject({ checked: 0, ok: 0, mismatched: [] });
  });
});
