import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, bearer, mintToken, register, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
const tokens: Record<string, string> = {};

const dashboardJson = async (headers: Record<string, string> = bearer(tokens.auditor!), query = "") => {
  const res = await fetch(`${fi.url}/ops/dashboard${query}`, { headers: { accept: "application/json", ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as any;
};

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
  expect((await register(fi.url, "nordic-health", { customer_name: "Nordic Health" })).status).toBe(201);
  tokens.auditor = await mintToken(fi.url, "ops auditor", "auditor");
  tokens.scoped = await mintToken(fi.url, "acme auditor", "auditor", "acme-corp");
  const acme = s3(fi.url, "acme-corp");
  const nordic = s3(fi.url, "nordic-health");
  expect((await acme("/documents", { method: "PUT" })).status).toBe(200);
  expect((await acme("/documents/a.txt", { method: "PUT", body: "12345" })).status).toBe(200);
  expect((await acme("/documents/b.txt", { method: "PUT", body: "1234567" })).status).toBe(200);
  expect((await nordic("/scans", { method: "PUT" })).status).toBe(200);
  expect((await nordic("/scans/x.bin", { method: "PUT", body: "x".repeat(100) })).status).toBe(200);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("GET /ops/dashboard: access", () => {
  it("requires a token, refuses customer-scoped tokens, and logs both the answers and the refusals", async () => {
    const none = await fetch(`${fi.url}/ops/dashboard`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error.code).toBe("UNAUTHORIZED");
    const scoped = await fetch(`${fi.url}/ops/dashboard`, { headers: bearer(tokens.scoped!) });
    expect(scoped.status).toBe(403);
    expect(((await scoped.json()) as any).error.code).toBe("FORBIDDEN");
    expect((await fetch(`${fi.url}/ops/dashboard`, { headers: bearer(tokens.auditor!) })).status).toBe(200);
    const rows = await sql`select status_code, result from operations_log where operation_type = 'GetOpsDashboard' order by id`;
    expect(rows.map((r) => [r.status_code, r.result])).toEqual([
      [401, "denied"],
      [403, "denied"],
      [200, "success"],
    ]);
  });

  it("validates its query", async () => {
    for (const q of ["?top=0", "?top=501", "?top=x", "?format=xml"]) {
      const res = await fetch(`${fi.url}/ops/dashboard${q}`, { headers: bearer(tokens.auditor!) });
      expect(res.status, q).toBe(400);
    }
  });
});

describe("GET /ops/dashboard: JSON", () => {
  it("counts the requests made since the last look, by operation, with 4xx apart from errors", async () => {
    const before = await dashboardJson();
    const acme = s3(fi.url, "acme-corp");
    for (let i = 0; i < 8; i++) expect((await acme("/documents/a.txt")).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await acme("/documents/missing.txt")).status).toBe(404);
    const after = await dashboardJson();
    for (const w of ["last_5m", "last_60m"] as const) {
      // The ten requests plus the first dashboard read (observed once it was answered).
      expect(after.requests[w].requests - before.requests[w].requests).toBe(11);
      expect(after.requests[w].client_errors - before.requests[w].client_errors).toBe(2);
      expect(after.requests[w].server_errors).toBe(0);
      expect(after.requests[w].error_rate).toBe(0);
      const get = after.requests[w].operations.find((o: any) => o.operation === "GetObject");
      expect(get).toEqual({ operation: "GetObject", requests: 10, server_errors: 0, client_errors: 2 });
    }
    const w5 = after.requests.last_5m;
    expect(w5.window_minutes).toBe(5);
    expect(w5.requests_per_minute).toBe(Math.round((w5.requests / 5) * 100) / 100);
    expect(w5.client_error_rate).toBe(Math.round((w5.client_errors / w5.requests) * 10_000) / 10_000);
    expect(after.requests.last_60m.requests_per_minute).toBe(Math.round((after.requests.last_60m.requests / 60) * 100) / 100);
    const { p50, p95, p99 } = w5.latency_ms;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
  });

  it("reports objects and bytes per customer from the region's rows, largest first", async () => {
    const d = await dashboardJson();
    expect(d).toMatchObject({ service: "regional-gateway", region: { region_id: "FI-HEL", jurisdiction: "FI" } });
    expect(d.storage).toEqual({
      customers: [
        { customer_id: "nordic-health", objects: 1, bytes: 100 },
        { customer_id: "acme-corp", objects: 2, bytes: 12 },
      ],
      customers_shown: 2,
      total_customers: 2,
      total_objects: 3,
      total_bytes: 112,
    });
    const top1 = await dashboardJson(bearer(tokens.auditor!), "?top=1");
    expect(top1.storage.customers).toEqual([{ customer_id: "nordic-health", objects: 1, bytes: 100 }]);
    expect(top1.storage.total_customers).toBe(2);
    expect(d.health).toMatchObject({ status: "healthy", database: "ok", storage: { status: "ok", provider_id: "fi-hel-fs", country: "FI" } });
    expect(typeof d.health.audit_queue_depth).toBe("number");
    expect(Date.parse(d.generated_at)).not.toBeNaN();
  });

  it("reports open violations, pending and overdue GDPR requests and legal holds", async () => {
    const empty = await dashboardJson();
    expect(empty.compliance).toEqual({
      open_violations: { total: 0, critical: 0, high: 0, medium: 0 },
      gdpr_requests: { pending: 0, overdue: 0, due_soon: 0, due_soon_days: 7 },
      legal_holds: 0,
      retained_objects: 0,
      keys: expect.objectContaining({ shreds_pending: 0 }), // customer keys: test/customer-keys.test.ts
    });
    await sql`insert into compliance_events (customer_id, event_type, severity, event_description) values
      ('acme-corp', 'integrity_mismatch', 'critical', 'open critical'),
      ('acme-corp', 'data_residency_violation', 'high', 'open high'),
      (null, 'anomaly', 'low', 'low severity is not a violation')`;
    await sql`insert into compliance_events (customer_id, event_type, severity, event_description, resolved_at) values
      ('nordic-health', 'data_residency_violation', 'high', 'resolved', now())`;
    await sql`insert into data_subject_requests (customer_id, data_subject_id, request_type, status, response_deadline) values
      ('acme-corp', 'subject-1', 'access', 'pending', now() - interval '1 day'),
      ('acme-corp', 'subject-2', 'erasure', 'in_progress', now() + interval '3 days'),
      ('nordic-health', 'subject-3', 'portability', 'pending', now() + interval '20 days'),
      ('nordic-health', 'subject-4', 'erasure', 'completed', now() - interval '2 days')`;
    await sql`update object_metadata set legal_hold = true where object_key = 'a.txt'`;
    await sql`update object_metadata set retention_until = now() + interval '1 year' where object_key = 'x.bin'`;
    const d = await dashboardJson();
    expect(d.compliance).toEqual({
      open_violations: { total: 2, critical: 1, high: 1, medium: 0 },
      gdpr_requests: { pending: 3, overdue: 1, due_soon: 1, due_soon_days: 7 },
      legal_holds: 1,
      retained_objects: 1,
      keys: expect.objectContaining({ shreds_pending: 0 }),
    });
  });
});

describe("GET /ops/dashboard: text", () => {
  it("answers curl's default Accept with a fixed-width dashboard naming the region, its sections and customers", async () => {
    for (const accept of ["*/*", "text/plain", undefined]) {
      const res = await fetch(`${fi.url}/ops/dashboard`, { headers: { ...bearer(tokens.auditor!), ...(accept ? { accept } : {}) } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      const text = await res.text();
      const lines = text.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^s3gw regional gateway {2}FI-HEL \(Helsinki, Finland, FI\) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      for (const section of ["HEALTH", "REQUESTS", "TOP OPERATIONS", "COMPLIANCE", "STORAGE BY CUSTOMER"]) {
        expect(lines.some((l) => l.startsWith(section)), section).toBe(true);
      }
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
      expect(text).toMatch(/^ {2}database {4}ok$/m);
      expect(text).toMatch(/^ {2}nordic-health +1 +100 B$/m);
      expect(text).toMatch(/^ {2}acme-corp +2 +12 B$/m);
      expect(text).toMatch(/^ {2}total \(2 customers\) +3 +112 B$/m);
      expect(text).toMatch(/^ {2}5 min +\d+ +\d+\.\d\d +\d+\.\d\d% +\d+\.\d\d% /m);
      expect(text).toMatch(/^ {2}GetObject +\d+ +0 +2$/m);
    }
  });

  it("serves JSON only when asked for it", async () => {
    const browser = await fetch(`${fi.url}/ops/dashboard`, { headers: { ...bearer(tokens.auditor!), accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(browser.headers.get("content-type")).toMatch(/^text\/plain/);
    const preferText = await fetch(`${fi.url}/ops/dashboard`, { headers: { ...bearer(tokens.auditor!), accept: "application/json;q=0.5, text/plain" } });
    expect(preferText.headers.get("content-type")).toMatch(/^text\/plain/);
    const forced = await fetch(`${fi.url}/ops/dashboard?format=json`, { headers: bearer(tokens.auditor!) });
    expect(forced.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await forced.json()) as any).region.region_id).toBe("FI-HEL");
  });
});
