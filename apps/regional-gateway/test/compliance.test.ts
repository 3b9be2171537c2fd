import { readdir } from "node:fs/promises";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, register, s3, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "./harness.ts";

let us: TestRegion;
let sql: postgres.Sql;

beforeAll(async () => {
  us = await startTestRegion("US-EAST");
  sql = postgresClient(us.databaseUrl, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await us?.destroy();
});

describe("customer registration", () => {
  it("validates the body and refuses duplicates", async () => {
    const bad = await register(us.url, "bad-email", { primary_contact_email: "not-an-email" });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe("BAD_REQUEST");
    expect(body.error.message).toContain("primary_contact_email");
    expect(body.error.requestId).toMatch(/^[0-9A-F]{16}$/);
    expect((await register(us.url, "x", {})).status).toBe(400);
    expect((await register(us.url, "unknown-land", { country: "Atlantis" })).status).toBe(400);
    expect((await register(us.url, "extra-field", { surprise: true })).status).toBe(400);
    const notJson = await fetch(`${us.url}/api/customers/nojson/register`, { method: "POST", body: "{", headers: adminAuth });
    expect(notJson.status).toBe(400);
    expect((await register(us.url, "us-health", { customer_name: "US Health", country: "US", data_residency_requirement: "strict" })).status).toBe(201);
    expect((await register(us.url, "us-health", { country: "US" })).status).toBe(409);
    const info = (await (await fetch(`${us.url}/api/customers/us-health/info`, { headers: adminAuth })).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ customer_id: "us-health", region: "US-EAST", country: "US", legal_zone: "US", usage: { buckets: 0, objects: 0, bytes: 0 } });
    expect((await fetch(`${us.url}/api/customers/nobody/info`, { headers: adminAuth })).status).toBe(404);
  });
});

describe("residency", () => {
  it("refuses to register a customer the region's country or legal zone cannot honour, naming the mismatch", async () => {
    // An EU customer that requires its data to stay in the EU, homed (by mistake) in the US region.
    const zone = await register(us.url, "eu-misplaced", { customer_name: "EU Corp", country: "Germany", data_residency_requirement: "jurisdiction" });
    expect(zone.status).toBe(400);
    expect(((await zone.json()) as { error: { message: string } }).error.message).toMatch(/legal zone mismatch.*EU.*US-EAST/);
    const strict = await register(us.url, "de-strict", { customer_name: "DE Corp", country: "Germany", data_residency_requirement: "strict" });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as { error: { message: string } }).error.message).toMatch(/country mismatch.*DE.*US-EAST is in US/);
    expect(await sql`select customer_id from customers where customer_id in ('eu-misplaced', 'de-strict')`).toEqual([]);
    expect((await s3(us.url, "eu-misplaced")("/records", { method: "PUT" })).status).toBe(403);
  });

  it("refuses a write whose storage target violates the requirement, stores nothing, logs and raises an event", async () => {
    // A misconfigured deployment: the Frankfurt region's hosted storage is in the US. Registration
    // (checked against the region's country) accepts the EU customer; every write must still be refused.
    const fra = TEST_TOPOLOGY.regions.find((r) => r.region_id === "DE-FRA")!;
    const de = await startTestRegion("DE-FRA", { region: { ...fra, provider: { ...fra.provider, country: "US" } } });
    const deSql = postgresClient(de.databaseUrl, { max: 1 });
    try {
      expect((await register(de.url, "eu-misplaced", { customer_name: "EU Corp", country: "Germany", data_residency_requirement: "jurisdiction" })).status).toBe(201);
      const eu = s3(de.url, "eu-misplaced");
      expect((await eu("/records", { method: "PUT" })).status).toBe(200);
      const res = await eu("/records/patient.json", { method: "PUT", body: JSON.stringify({ name: "x" }) });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("<Code>DataResidencyViolation</Code>");
      expect((await eu("/records/patient.json")).status).toBe(404);
      const tenants = await readdir(de.storageDir);
      expect(tenants.filter((t) => t.startsWith("tenant-eu-misplaced"))).toEqual([]);
      const [logged] = await deSql`select result, status_code, error_code, compliance_info from operations_log where customer_id = 'eu-misplaced' and operation_type = 'PutObject'`;
      expect(logged).toMatchObject({ result: "denied", status_code: 403, error_code: "DataResidencyViolation" });
      expect(logged!.compliance_info).toMatchObject({ residency: "violation", target: { regionId: "DE-FRA", country: "US" } });
      const [event] = await deSql`select event_type, severity, resolved_at, remediation_deadline from compliance_events where customer_id = 'eu-misplaced'`;
      expect(event).toMatchObject({ event_type: "data_residency_violation", severity: "high", resolved_at: null });
      expect(event!.remediation_deadline).toBeInstanceOf(Date);
      const summary = (await (await fetch(`${de.url}/api/compliance/summary`, { headers: { "x-customer-id": "eu-misplaced", ...adminAuth } })).json()) as Record<string, unknown>;
      expect(summary).toMatchObject({ open_violations: 1, total_objects: 0, compliance_percentage: 100 });
    } finally {
      await deSql.end();
      await de.destroy();
    }
  });

  it("accepts writes for a customer whose requirement the region satisfies", async () => {
    const h = s3(us.url, "us-health");
    await h("/scans", { method: "PUT" });
    expect((await h("/scans/a.bin", { method: "PUT", body: "a" })).status).toBe(200);
    const summary = (await (await fetch(`${us.url}/api/compliance/summary`, { headers: { "x-customer-id": "us-health", ...adminAuth } })).json()) as Record<string, unknown>;
    expect(summary).toMatchObject({
      customer_id: "us-health",
      region: "US-EAST",
      data_residency_requirement: "strict",
      total_objects: 1,
      compliant_objects: 1,
      legal_hold_objects: 0,
      open_violations: 0,
      pending_data_requests: 0,
      compliance_percentage: 100,
    });
  });
});

describe("serving only this region's customers", () => {
  it("refuses a customer that is not homed here, and logs the refusal", async () => {
    const res = await s3(us.url, "acme-corp")("/documents");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("not homed in region US-EAST");
    const rows = await sql`select operation_type, result, customer_id, bucket_name from operations_log where customer_id = 'acme-corp'`;
    expect(rows).toEqual([{ operation_type: "ListObjects", result: "denied", customer_id: "acme-corp", bucket_name: "documents" }]);
  });

  it("logs every operation with customer, result, bytes and source address", async () => {
    const rows = await sql`select operation_type, result, bytes_transferred, source_ip, cross_border_transfer from operations_log where customer_id = 'us-health' and operation_type = 'PutObject'`;
    expect(rows).toEqual([{ operation_type: "PutObject", result: "success", bytes_transferred: "1", source_ip: expect.stringMatching(/127\.0\.0\.1/), cross_border_transfer: false }]);
  });

  it("flags reads from another country as cross-border, from the edge's source-country header", async () => {
    const h = s3(us.url, "us-health");
    expect((await h("/scans/a.bin", { headers: { "x-source-country": "US" } })).status).toBe(200);
    expect((await h("/scans/a.bin", { headers: { "x-source-country": "FI" } })).status).toBe(200);
    const rows = await sql`select source_country, cross_border_transfer from operations_log where customer_id = 'us-health' and operation_type = 'GetObject' order by id`;
    expect(rows).toEqual([
      { source_country: "US", cross_border_transfer: false },
      { source_country: "FI", cross_border_transfer: true },
    ]);
  });

  it("reports health with customer count, database and storage status", async () => {
    const health = (await (await fetch(`${us.url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: "healthy", region: "US-EAST", customer_count: 1, database: "ok", storage: { status: "ok", country: "US" } });
  });

  it("answers unknown JSON routes with the JSON error shape", async () => {
    const res = await fetch(`${us.url}/api/nothing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });
});
