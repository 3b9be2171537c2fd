import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findActiveAccessKey } from "../src/services/access/access-keys.ts";
import { adminAuth, bearer, mintToken, registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

// Separation of duties: officers never write (only admins create keys that can write, or
// grant a GOVERNANCE bypass); auditors read, but neither download content-bearing exports nor
// trigger verifications that change object state. Once, a customer-scoped officer created a
// read-write key and wrote objects with it.

let fi: TestRegion;
let sql: postgres.Sql;
const t: Record<"officer" | "auditor" | "regionOfficer" | "regionAuditor", string> = { officer: "", auditor: "", regionOfficer: "", regionAuditor: "" };

interface Key { access_key_id: string; secret_access_key: string; permission: string; bypass_governance: boolean; status: string }

const keys = "/api/customers/acme-corp/access-keys";
const call = (method: string, path: string, auth: Record<string, string>, body?: unknown) =>
  fetch(`${fi.url}${path}`, { method, headers: { "content-type": "application/json", ...auth }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

async function putWith(key: Key, objectKey: string): Promise<number> {
  const client = new S3Client({ endpoint: fi.url, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key } });
  try {
    return (await client.send(new PutObjectCommand({ Bucket: "documents", Key: objectKey, Body: "written" }))).$metadata.httpStatusCode!;
  } catch (err) {
    return (err as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode;
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  const acme = await registerWithBuckets(fi.url, "acme-corp", ["documents"]);
  expect((await acme("/documents/report.pdf", { method: "PUT", body: "%PDF", headers: { "x-amz-meta-data-subject-id": "jane" } })).status).toBe(200);
  t.officer = await mintToken(fi.url, "acme dpo", "compliance_officer", "acme-corp");
  t.auditor = await mintToken(fi.url, "acme auditor", "auditor", "acme-corp");
  t.regionOfficer = await mintToken(fi.url, "region dpo", "compliance_officer");
  t.regionAuditor = await mintToken(fi.url, "region auditor", "auditor");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("access keys: only admins grant writes", () => {
  it("gives a customer's officer read-only keys only, which cannot write objects", async () => {
    const implicit = await call("POST", keys, bearer(t.officer), { description: "officer's" });
    expect(implicit.status).toBe(201);
    const officerKey = (await implicit.json()) as Key;
    expect(officerKey).toMatchObject({ permission: "read-only", bypass_governance: false });
    expect(await putWith(officerKey, "by-officer.txt")).toBe(403);

    const readWrite = await call("POST", keys, bearer(t.officer), { permission: "read-write" });
    expect(readWrite.status).toBe(403);
    expect(((await readWrite.json()) as { error: { message: string } }).error.message).toMatch(/read-only/);
    expect((await call("POST", keys, bearer(t.officer), { bypass_governance: true })).status).toBe(403);
    for (const token of [t.auditor, t.regionOfficer, t.regionAuditor]) expect((await call("POST", keys, bearer(token), { permission: "read-only" })).status).toBe(403);

    const [{ n }] = (await sql`select count(*)::int as n from access_keys where customer_id = 'acme-corp' and permission = 'read-write'`) as unknown as [{ n: number }];
    expect(n).toBe(0);
    expect((await sql`select 1 from object_metadata where object_key = 'by-officer.txt'`).length).toBe(0);
  });

  it("lets an admin create a read-write key that writes (the refusal above is about the role)", async () => {
    const res = await call("POST", keys, adminAuth, {});
    expect(res.status).toBe(201);
    const key = (await res.json()) as Key;
    expect(key.permission).toBe("read-write");
    expect(await putWith(key, "by-admin-key.txt")).toBe(200);
  });

  it("lets an officer disable a key that writes but not enable it again", async () => {
    const key = (await (await call("POST", keys, adminAuth, {})).json()) as Key;
    const path = `${keys}/${key.access_key_id}`;
    expect((await call("PATCH", path, bearer(t.officer), { status: "disabled" })).status).toBe(200);
    expect(await putWith(key, "while-disabled.txt")).toBe(403);
    const enable = await call("PATCH", path, bearer(t.officer), { status: "active" });
    expect(enable.status).toBe(403);
    expect((await sql`select status from access_keys where access_key_id = ${key.access_key_id}`)[0]!.status).toBe("disabled");
    expect((await call("PATCH", path, adminAuth, { status: "active" })).status).toBe(200);
    // Its own read-only keys it may re-enable.
    const ro = (await (await call("POST", keys, bearer(t.officer), {})).json()) as Key;
    expect((await call("PATCH", `${keys}/${ro.access_key_id}`, bearer(t.officer), { status: "disabled" })).status).toBe(200);
    expect((await call("PATCH", `${keys}/${ro.access_key_id}`, bearer(t.officer), { status: "active" })).status).toBe(200);
  });
});

describe("bypass_governance", () => {
  it("is granted by admins only, at creation or by PATCH, audited, and exposed to the S3 layer", async () => {
    const [{ last }] = (await sql`select coalesce(max(id), 0)::int as last from operations_log`) as unknown as [{ last: number }];
    const created = await call("POST", keys, adminAuth, { description: "legal ops", bypass_governance: true });
    expect(created.status).toBe(201);
    const key = (await created.json()) as Key;
    expect(key.bypass_governance).toBe(true);
    expect((await findActiveAccessKey(fi.deps, key.access_key_id))?.bypassGovernance).toBe(true);
    expect((await call("POST", keys, adminAuth, { permission: "read-only", bypass_governance: true })).status).toBe(400);

    const plain = (await (await call("POST", keys, adminAuth, {})).json()) as Key;
    expect(plain.bypass_governance).toBe(false);
    expect((await findActiveAccessKey(fi.deps, plain.access_key_id))?.bypassGovernance).toBe(false);
    const path = `${keys}/${plain.access_key_id}`;
    expect((await call("PATCH", path, bearer(t.officer), { bypass_governance: true })).status).toBe(403);
    expect((await findActiveAccessKey(fi.deps, plain.access_key_id))?.bypassGovernance).toBe(false);
    const granted = await call("PATCH", path, adminAuth, { bypass_governance: true });
    expect(granted.status).toBe(200);
    expect(((await granted.json()) as Key).bypass_governance).toBe(true);
    expect((await findActiveAccessKey(fi.deps, plain.access_key_id))?.bypassGovernance).toBe(true);
    expect((await call("PATCH", path, adminAuth, { bypass_governance: false })).status).toBe(200);
    expect((await findActiveAccessKey(fi.deps, plain.access_key_id))?.bypassGovernance).toBe(false);

    const ro = (await (await call("POST", keys, adminAuth, { permission: "read-only" })).json()) as Key;
    expect((await call("PATCH", `${keys}/${ro.access_key_id}`, adminAuth, { bypass_governance: true })).status).toBe(400);

    const audited = await sql`select operation_type, status_code, compliance_info from operations_log where id > ${last} and compliance_info ? 'bypass_governance' order by id`;
    expect(audited.map((r) => `${r.operation_type} ${r.status_code} ${r.compliance_info.bypass_governance}`)).toEqual([
      "CreateAccessKey 201 true",
      "CreateAccessKey 201 false",
      "UpdateAccessKey 403 true",
      "UpdateAccessKey 200 true",
      "UpdateAccessKey 200 false",
      "CreateAccessKey 201 false",
      "UpdateAccessKey 400 true",
    ]);
  });
});

describe("auditors read; they do not export subject data or change object state", () => {
  it("refuses an auditor the GDPR export of a completed access request, but not the officer", async () => {
    const dsr = await call("POST", "/api/gdpr/requests", bearer(t.officer), { customer_id: "acme-corp", data_subject_id: "jane", request_type: "access" });
    expect(dsr.status).toBe(201);
    const { request_id: id } = (await dsr.json()) as { request_id: string };
    expect((await call("POST", `/api/gdpr/requests/${id}/execute`, bearer(t.officer))).status).toBe(200);
    for (const token of [t.auditor, t.regionAuditor]) {
      const res = await call("GET", `/api/gdpr/requests/${id}/export`, bearer(token));
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain("report.pdf");
      // Reading the request itself stays open to auditors.
      expect((await call("GET", `/api/gdpr/requests/${id}`, bearer(token))).status).toBe(200);
    }
    const ok = await call("GET", `/api/gdpr/requests/${id}/export`, bearer(t.officer));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("report.pdf");
  });

  it("refuses an auditor /api/objects/verify, leaving the object's verification state untouched", async () => {
    const state = async () => (await sql`select last_verified_at, compliance_status from object_metadata where object_key = 'report.pdf'`)[0];
    const before = await state();
    for (const token of [t.auditor, t.regionAuditor]) {
      expect((await call("POST", "/api/objects/verify", bearer(token), { customer_id: "acme-corp", bucket: "documents", key: "report.pdf" })).status).toBe(403);
    }
    expect(await state()).toEqual(before);
    const officer = await call("POST", "/api/objects/verify", bearer(t.officer), { customer_id: "acme-corp", bucket: "documents", key: "report.pdf" });
    expect(officer.status).toBe(200);
    expect((await state())!.last_verified_at).not.toEqual(before!.last_verified_at);
  });

  it("still lets auditors read: keys list, holds, alerts, rules, audit", async () => {
    for (const path of [keys, "/api/holds?customer_id=acme-corp", "/api/compliance/alerts", "/api/customers/acme-corp/rules", "/api/audit/operations"]) {
      expect((await call("GET", path, bearer(t.auditor))).status, path).toBe(200);
    }
  });

  it("keeps upload URLs for admins (officers and auditors get 403)", async () => {
    const body = { customer_id: "acme-corp", bucket: "documents", key: "up.bin", method: "PUT" };
    expect((await call("POST", "/api/presign", bearer(t.officer), body)).status).toBe(403);
    expect((await call("POST", "/api/presign", bearer(t.auditor), body)).status).toBe(403);
  });
});
