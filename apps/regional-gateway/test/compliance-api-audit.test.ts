import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, allPages, bearer, getAs, mintToken, type Page, register, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
const tokens: Record<string, string> = {};
const get = (path: string, auth?: Record<string, string>) => getAs(fi.url, path, auth);

interface Op { id: number; customer_id: string | null; operation: string; bucket: string | null; key: string | null; result: string; cross_border: boolean; created_at: string; row_hash: string }

const walk = <T>(path: string, auth?: Record<string, string>) => allPages<T>(fi.url, path, auth);

async function ops(query: string, auth: Record<string, string> = adminAuth): Promise<Op[]> {
  return (await walk<Op>(`/api/audit/operations?${query}`, auth)).flat();
}
const idsOf = (rows: readonly unknown[]) => rows.map((r) => Number((r as { id: number | string }).id));

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  expect((await register(fi.url, "gamma")).status).toBe(201);
  expect((await register(fi.url, "delta", { country: "DE", data_residency_requirement: "jurisdiction" })).status).toBe(201);
  // A strict US customer cannot be registered in Helsinki any more (400 naming the mismatch)...
  const refused = await register(fi.url, "us-stray", { country: "US", data_residency_requirement: "strict" });
  expect(refused.status).toBe(400);
  expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/country mismatch.*\(US\).*FI-HEL is in FI/);
  expect(await sql`select 1 from customers where customer_id = 'us-stray'`).toHaveLength(0);
  // ...but a profile stored before registration checked coherence still exists in older databases:
  // its writes are refused and the audit reports must show it as the violation it is.
  await sql`insert into customers (customer_id, customer_name, region_id, country, legal_zone, data_residency_requirement, primary_contact_email, compliance_officer_email)
            values ('us-stray', 'US Stray', 'FI-HEL', 'US', 'US', 'strict', 'contact@stray.example', 'dpo@stray.example')`;
  tokens.auditor = await mintToken(fi.url, "auditor", "auditor");
  tokens.gammaAuditor = await mintToken(fi.url, "gamma auditor", "auditor", "gamma");

  const gamma = s3(fi.url, "gamma");
  const delta = s3(fi.url, "delta");
  const stray = s3(fi.url, "us-stray");
  await gamma("/reports", { method: "PUT" });
  for (const k of ["2026/q1.csv", "2026/q2.csv", "2025/q4.csv", "50%_off"]) expect((await gamma(`/reports/${encodeURIComponent(k)}`, { method: "PUT", body: k })).status).toBe(200);
  expect((await gamma("/reports/2026/q1.csv")).status).toBe(200);
  expect((await gamma("/reports/2026/missing.csv")).status).toBe(404);
  await delta("/files", { method: "PUT" });
  expect((await delta("/files/a.bin", { method: "PUT", body: "delta bytes" })).status).toBe(200);
  expect((await delta("/files/a.bin", { headers: { "x-source-country": "DE" } })).status).toBe(200);
  await stray("/records", { method: "PUT" });
  expect((await stray("/records/x.json", { method: "PUT", body: "{}" })).status).toBe(403);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("GET /api/audit/operations", () => {
  it("pages through a customer's operations newest first", async () => {
    const expected = await sql`select id from operations_log where customer_id = 'gamma' order by id desc`;
    const pages = await walk<Op>("/api/audit/operations?customer_id=gamma&limit=2");
    expect(pages.slice(0, -1).every((p) => p.length === 2)).toBe(true);
    expect(idsOf(pages.flat())).toEqual(idsOf(expected));
    expect(pages.flat().length).toBeGreaterThan(4);
    const first = pages[0]![0]!;
    expect(first).toMatchObject({ customer_id: "gamma", operation: "GetObject", bucket: "reports", key: "2026/missing.csv", result: "error", status_code: 404, error_code: "NoSuchKey" });
    expect(first.row_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("filters by operation, result, bucket, key prefix and cross-border", async () => {
    const puts = await ops("customer_id=gamma&operation=PutObject");
    expect(puts.map((o) => o.key)).toEqual(["50%_off", "2025/q4.csv", "2026/q2.csv", "2026/q1.csv"]);
    expect((await ops("customer_id=gamma&result=error")).map((o) => o.key)).toEqual(["2026/missing.csv"]);
    const denied = await ops("result=denied&customer_id=us-stray");
    expect(denied.map((o) => [o.operation, o.key])).toEqual([["PutObject", "x.json"]]);
    expect((await ops("bucket=reports&key_prefix=2026/")).map((o) => `${o.operation} ${o.key}`)).toEqual([
      "GetObject 2026/missing.csv", "GetObject 2026/q1.csv", "PutObject 2026/q2.csv", "PutObject 2026/q1.csv",
    ]);
    // LIKE wildcards in a prefix are literal characters.
    expect(await ops("key_prefix=5_")).toEqual([]);
    expect((await ops("key_prefix=50%25")).map((o) => o.key)).toEqual(["50%_off"]);
    expect(await ops("bucket=files&customer_id=gamma")).toEqual([]);
    const cross = await ops("cross_border_only=true");
    const expected = await sql`select id from operations_log where cross_border_transfer order by id desc`;
    expect(idsOf(cross)).toEqual(idsOf(expected));
    expect(new Set(cross.map((o) => `${o.customer_id} ${o.operation}`))).toEqual(new Set(["delta PutObject", "delta GetObject", "us-stray PutObject"]));
  });

  it("filters by time range, both ends inclusive", async () => {
    const [mid] = await sql`select created_at from operations_log where customer_id = 'gamma' and object_key = '2026/q2.csv'`;
    const at = (mid!.created_at as Date).toISOString();
    const after = await sql`select id from operations_log where created_at >= ${at} and customer_id = 'gamma' order by id desc`;
    const before = await sql`select id from operations_log where created_at <= ${at} and customer_id = 'gamma' order by id desc`;
    const all = await sql`select count(*)::int as n from operations_log where customer_id = 'gamma'`;
    expect(after.length).toBeLessThan(all[0]!.n);
    expect(before.length).toBeLessThan(all[0]!.n);
    expect(idsOf(await ops(`customer_id=gamma&from=${encodeURIComponent(at)}`))).toEqual(idsOf(after));
    expect(idsOf(await ops(`customer_id=gamma&to=${encodeURIComponent(at)}`))).toEqual(idsOf(before));
    expect(await ops("from=2999-01-01T00:00:00Z")).toEqual([]);
  });

  it("lets read roles in, scoping customer tokens, and refuses bad queries", async () => {
    expect((await get("/api/audit/operations", {})).status).toBe(401);
    expect((await get("/api/audit/operations", bearer(tokens.auditor!))).status).toBe(200);
    const scoped = await ops("limit=500", bearer(tokens.gammaAuditor!));
    expect(scoped.length).toBeGreaterThan(0);
    expect(new Set(scoped.map((o) => o.customer_id))).toEqual(new Set(["gamma"]));
    expect((await get("/api/audit/operations?customer_id=delta", bearer(tokens.gammaAuditor!))).status).toBe(403);
    for (const q of ["result=maybe", "from=yesterday", "to=2026-13-01T00:00:00Z", "cross_border_only=yes", "limit=1000", "cursor=garbage", "colour=red"]) {
      expect((await get(`/api/audit/operations?${q}`)).status, q).toBe(400);
    }
  });
});

describe("GET /api/audit/jurisdiction-compliance", () => {
  interface Item {
    customer_id: string; requirement: string; home_region: string; country: string; legal_zone: string; jurisdictions: string[];
    data_locations: { storage_country: string; storage_region: string; objects: number; bytes: number; permitted: boolean }[];
    operations: number; cross_border_operations: number; denied_operations: number; open_violations: number; compliant: boolean;
  }
  const report = async (query = "", auth: Record<string, string> = adminAuth) => {
    const res = await get(`/api/audit/jurisdiction-compliance${query}`, auth);
    expect(res.status).toBe(200);
    return (await res.json()) as Page<Item> & { window: { from: string; to: string } };
  };

  it("reports each customer's requirement, data locations, window counts and violations", async () => {
    const r = await report();
    expect(r.items.map((i) => i.customer_id)).toEqual(["delta", "gamma", "us-stray"]);
    expect(new Date(r.window.to).getTime() - new Date(r.window.from).getTime()).toBe(30 * 24 * 3_600_000);
    const [delta, gamma, stray] = r.items;
    expect(delta).toMatchObject({
      requirement: "jurisdiction", home_region: "FI-HEL", country: "DE", legal_zone: "EU", jurisdictions: ["EU"],
      data_locations: [{ storage_provider: "fi-hel-fs", storage_region: "FI-HEL", storage_country: "FI", legal_zone: "EU", objects: 1, bytes: 11, permitted: true }],
      cross_border_operations: 2, denied_operations: 0, open_violations: 0, compliant: true,
    });
    expect(gamma).toMatchObject({ requirement: "strict", country: "FI", cross_border_operations: 0, open_violations: 0, compliant: true });
    expect(gamma!.data_locations).toEqual([expect.objectContaining({ storage_country: "FI", objects: 4 })]);
    expect(stray).toMatchObject({ requirement: "strict", country: "US", data_locations: [], denied_operations: 1, cross_border_operations: 1, open_violations: 1, compliant: false });
    const [n] = await sql`select count(*)::int as n from operations_log where customer_id = 'gamma'`;
    expect(gamma!.operations).toBe(n!.n);
  });

  it("shows data on a foreign target as not permitted", async () => {
    await sql`update object_metadata set storage_country = 'US', region_id = 'US-EAST', storage_provider_id = 'us-east-fs' where object_key = '2025/q4.csv'`;
    const [gamma] = (await report("?customer_id=gamma")).items;
    expect(gamma!.jurisdictions).toEqual(["EU", "US"]);
    expect(gamma!.data_locations.map((d) => [d.storage_country, d.objects, d.permitted])).toEqual([["FI", 3, true], ["US", 1, false]]);
    expect(gamma!.compliant).toBe(false);
  });

  it("counts only operations inside the window", async () => {
    const r = await report("?from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z");
    expect(r.window).toEqual({ from: "2030-01-01T00:00:00.000Z", to: "2030-02-01T00:00:00.000Z" });
    for (const i of r.items) expect([i.operations, i.cross_border_operations, i.denied_operations]).toEqual([0, 0, 0]);
    // Open violations are current state, not windowed.
    expect(r.items.find((i) => i.customer_id === "us-stray")!.open_violations).toBe(1);
    expect((await get("/api/audit/jurisdiction-compliance?from=2030-02-01T00:00:00Z&to=2030-01-01T00:00:00Z")).status).toBe(400);
  });

  it("pages customers and scopes customer tokens", async () => {
    const pages = await walk<Item>("/api/audit/jurisdiction-compliance?limit=1");
    expect(pages.map((p) => p.map((i) => i.customer_id))).toEqual([["delta"], ["gamma"], ["us-stray"]]);
    expect((await report("", bearer(tokens.gammaAuditor!))).items.map((i) => i.customer_id)).toEqual(["gamma"]);
    expect((await get("/api/audit/jurisdiction-compliance?customer_id=delta", bearer(tokens.gammaAuditor!))).status).toBe(403);
    expect((await get("/api/audit/jurisdiction-compliance", {})).status).toBe(401);
    expect((await get("/api/audit/jurisdiction-compliance?limit=0")).status).toBe(400);
  });
});
