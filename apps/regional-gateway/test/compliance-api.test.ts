import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateResidency } from "../src/services/compliance/residency-validation.ts";
import { adminAuth, allPages, bearer, getAs, mintToken, type Page, register, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
const tokens: Record<string, string> = {};

interface Alert { event_id: string; customer_id: string | null; severity: string; overdue: boolean; event_type: string; created_at: string; details: Record<string, unknown> }

const get = (path: string, auth?: Record<string, string>) => getAs(fi.url, path, auth);
const resolve = (id: string, body: unknown, auth: Record<string, string> = adminAuth) =>
  fetch(`${fi.url}/api/compliance/events/${id}/resolve`, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify(body) });

const walk = <T>(path: string, auth?: Record<string, string>) => allPages<T>(fi.url, path, auth);

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  expect((await register(fi.url, "alpha")).status).toBe(201);
  expect((await register(fi.url, "beta", { country: "DE", data_residency_requirement: "jurisdiction" })).status).toBe(201);
  tokens.officer = await mintToken(fi.url, "dpo", "compliance_officer");
  tokens.auditor = await mintToken(fi.url, "auditor", "auditor");
  tokens.alphaAuditor = await mintToken(fi.url, "alpha auditor", "auditor", "alpha");
  tokens.alphaOfficer = await mintToken(fi.url, "alpha dpo", "compliance_officer", "alpha");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("compliance alerts", () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    // Microsecond timestamps and a tie on created_at exercise the keyset cursor.
    const rows: [string, string | null, string, string, string | null, string | null][] = [
      ["a1", "alpha", "low", "2026-01-01 00:00:01.000001+00", null, null],
      ["a2", "alpha", "high", "2026-01-01 00:00:02.000002+00", "2026-01-02 00:00:00+00", null],
      ["a3", "alpha", "medium", "2026-01-01 00:00:03.000003+00", "2999-01-01 00:00:00+00", null],
      ["a4", "alpha", "critical", "2026-01-01 00:00:04.000004+00", null, null],
      ["a5", "alpha", "high", "2026-01-01 00:00:05.000005+00", null, null],
      ["a6", "alpha", "high", "2026-01-01 00:00:05.000005+00", null, null],
      ["a7", "alpha", "medium", "2026-01-01 00:00:07.5+00", null, null],
      ["done", "alpha", "high", "2026-01-01 00:00:08+00", null, "2026-01-01 01:00:00+00"],
      ["b1", "beta", "high", "2026-01-01 00:00:06+00", null, null],
      ["b2", "beta", "low", "2026-01-01 00:00:09+00", null, null],
      ["region", null, "medium", "2026-01-01 00:00:10+00", null, null],
    ];
    for (const [name, customer, severity, createdAt, deadline, resolvedAt] of rows) {
      const [r] = await sql`insert into compliance_events (customer_id, event_type, severity, event_description, created_at, remediation_deadline, resolved_at, details)
        values (${customer}, 'test_event', ${severity}, ${`event ${name}`}, ${createdAt}, ${deadline}, ${resolvedAt}, ${sql.json({ name })}) returning event_id`;
      ids[name] = r!.event_id as string;
    }
  });

  it("lists open events newest first, paginated, with overdue flags", async () => {
    const expected = await sql`select event_id from compliance_events where resolved_at is null order by created_at desc, event_id desc`;
    const pages = await walk<Alert>("/api/compliance/alerts?limit=4");
    expect(pages.map((p) => p.length)).toEqual([4, 4, 2]);
    const all = pages.flat();
    expect(all.map((a) => a.event_id)).toEqual(expected.map((r) => r.event_id));
    expect(all.map((a) => a.event_id)).not.toContain(ids.done);
    const byName = Object.fromEntries(all.map((a) => [a.details.name as string, a]));
    expect(byName.a2).toMatchObject({ customer_id: "alpha", severity: "high", overdue: true, remediation_deadline: "2026-01-02T00:00:00.000Z", description: "event a2" });
    expect(byName.a3!.overdue).toBe(false);
    expect(byName.a1!.overdue).toBe(false);
    expect(byName.region!.customer_id).toBeNull();
  });

  it("filters by customer and severity", async () => {
    // With limit 2 a page ends between a6 and a5, which share created_at: the event_id breaks the tie.
    const expected = await sql`select event_id from compliance_events where customer_id = 'alpha' and resolved_at is null order by created_at desc, event_id desc`;
    const alpha = (await walk<Alert>("/api/compliance/alerts?customer_id=alpha&limit=2")).flat();
    expect(alpha.map((a) => a.event_id)).toEqual(expected.map((r) => r.event_id));
    expect(alpha).toHaveLength(7);
    const high = (await (await get("/api/compliance/alerts?customer_id=alpha&severity=high")).json()) as Page<Alert>;
    expect(high.items.map((a) => a.details.name).sort()).toEqual(["a2", "a5", "a6"]);
    expect(high.next_cursor).toBeNull();
  });

  it("lets every read role list, scoping customer tokens to their customer", async () => {
    expect((await get("/api/compliance/alerts")).status).toBe(200);
    expect((await get("/api/compliance/alerts", bearer(tokens.auditor!))).status).toBe(200);
    const scoped = (await walk<Alert>("/api/compliance/alerts", bearer(tokens.alphaAuditor!))).flat();
    expect(scoped).toHaveLength(7);
    expect(new Set(scoped.map((a) => a.customer_id))).toEqual(new Set(["alpha"]));
    expect((await get("/api/compliance/alerts?customer_id=beta", bearer(tokens.alphaAuditor!))).status).toBe(403);
    expect((await get("/api/compliance/alerts", {})).status).toBe(401);
  });

  it("refuses malformed queries", async () => {
    for (const q of ["limit=0", "limit=501", "limit=ten", "severity=urgent", "customer_id=Not_Valid", "cursor=bm9wZQ", "cursor=%%%", "colour=red"]) {
      const res = await get(`/api/compliance/alerts?${q}`);
      expect(res.status, q).toBe(400);
    }
  });

  it("resolves an event once, with a note and who resolved it", async () => {
    const note = { resolution_note: "False positive: test traffic from the QA team" };
    expect((await resolve(ids.a4!, note, {})).status).toBe(401);
    expect((await resolve(ids.a4!, note, bearer(tokens.auditor!))).status).toBe(403);
    expect((await resolve(ids.b1!, note, bearer(tokens.alphaOfficer!))).status).toBe(403);
    expect((await resolve(ids.region!, note, bearer(tokens.alphaOfficer!))).status).toBe(403);
    expect((await resolve("not-a-uuid", note)).status).toBe(400);
    expect((await resolve("00000000-0000-4000-8000-000000000000", note)).status).toBe(404);
    expect((await resolve(ids.a4!, {})).status).toBe(400);
    expect((await resolve(ids.a4!, { resolution_note: "  " })).status).toBe(400);
    expect((await resolve(ids.a4!, { resolution_note: "x".repeat(2001) })).status).toBe(400);
    expect((await resolve(ids.a4!, { ...note, extra: 1 })).status).toBe(400);

    const res = await resolve(ids.a4!, note, bearer(tokens.alphaOfficer!));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ event_id: ids.a4, resolution_note: note.resolution_note, overdue: false });
    expect(body.resolved_by).toMatch(/^token:[0-9a-f-]{36}\(compliance_officer@alpha\)$/);
    expect(typeof body.resolved_at).toBe("string");
    expect((await resolve(ids.a4!, note)).status).toBe(409);
    expect((await resolve(ids.done!, note)).status).toBe(409);
    expect((await resolve(ids.region!, note, bearer(tokens.officer!))).status).toBe(200);

    const [row] = await sql`select resolved_at, resolution_note, resolved_by from compliance_events where event_id = ${ids.a4!}`;
    expect(row!.resolved_at).toBeInstanceOf(Date);
    expect(row!.resolution_note).toBe(note.resolution_note);
    const open = (await walk<Alert>("/api/compliance/alerts?limit=500")).flat().map((a) => a.event_id);
    expect(open).not.toContain(ids.a4);
    expect(open).not.toContain(ids.region);
    expect(open).toHaveLength(8);
  });
});

describe("data residency validation", () => {
  interface Report { checked: number; customers_checked: number; violation_count: number; events_raised: number; violations: Record<string, unknown>[] }
  const validate = async (query = "", auth: Record<string, string> = adminAuth) => {
    const res = await get(`/api/compliance/validate/data-residency${query}`, auth);
    expect(res.status).toBe(200);
    return (await res.json()) as Report;
  };
  let movedId: string;

  beforeAll(async () => {
    const alpha = s3(fi.url, "alpha");
    const beta = s3(fi.url, "beta");
    await alpha("/ledger", { method: "PUT" });
    await beta("/files", { method: "PUT" });
    expect((await alpha("/ledger/x.csv", { method: "PUT", body: "x" })).status).toBe(200);
    expect((await alpha("/ledger/y.csv", { method: "PUT", body: "y" })).status).toBe(200);
    expect((await beta("/files/z.bin", { method: "PUT", body: "z" })).status).toBe(200);
    const [row] = await sql`select object_id from object_metadata where object_key = 'x.csv'`;
    movedId = row!.object_id as string;
  });

  it("reports nothing while every object is where its requirement allows", async () => {
    const report = await validate();
    expect(report).toMatchObject({ checked: 3, customers_checked: 2, violation_count: 0, violations: [], events_raised: 0 });
  });

  it("finds an object on a foreign target, raises one event, marks the object", async () => {
    // Simulates bytes that ended up on a US target, and EU-zone storage for a jurisdiction customer.
    await sql`update object_metadata set storage_country = 'US', region_id = 'US-EAST', storage_provider_id = 'us-east-fs' where object_id = ${movedId}`;
    await sql`update object_metadata set storage_country = 'DE', region_id = 'DE-FRA', storage_provider_id = 'de-fra-fs' where object_key = 'z.bin'`;
    const report = await validate("", bearer(tokens.auditor!));
    expect(report).toMatchObject({ checked: 3, violation_count: 1, events_raised: 1 });
    expect(report.violations).toEqual([
      expect.objectContaining({ customer_id: "alpha", bucket: "ledger", key: "x.csv", requirement: "strict", storage_country: "US", storage_region: "US-EAST", storage_provider: "us-east-fs" }),
    ]);
    expect(String(report.violations[0]!.reason)).toContain("strict residency");
    const events = await sql`select event_id, severity, dedupe_key, object_key from compliance_events where event_type = 'data_residency_violation'`;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: "high", dedupe_key: `residency:${movedId}`, object_key: "x.csv" });
    const [obj] = await sql`select compliance_status from object_metadata where object_id = ${movedId}`;
    expect(obj!.compliance_status).toBe("residency_violation");
    const alerts = (await (await get("/api/compliance/alerts?customer_id=alpha&severity=high")).json()) as Page<Alert>;
    expect(alerts.items.filter((a) => a.event_type === "data_residency_violation")).toHaveLength(1);

    // Validating again reports the violation without raising it twice; a page size of one gives the same answer.
    expect(await validate()).toMatchObject({ violation_count: 1, events_raised: 0 });
    const paged = await validateResidency(fi.deps, undefined, { pageSize: 1 });
    expect(paged).toMatchObject({ checked: 3, violation_count: 1, events_raised: 0 });
    expect(paged.violations.map((v) => v.key)).toEqual(["x.csv"]);
  });

  it("scopes to one customer and to the token's customer", async () => {
    expect(await validate("?customer_id=beta")).toMatchObject({ checked: 1, customers_checked: 1, violation_count: 0 });
    expect(await validate("", bearer(tokens.alphaAuditor!))).toMatchObject({ checked: 2, customers_checked: 1, violation_count: 1 });
    expect((await get("/api/compliance/validate/data-residency?customer_id=beta", bearer(tokens.alphaAuditor!))).status).toBe(403);
    expect((await get("/api/compliance/validate/data-residency?customer_id=ghost")).status).toBe(404);
    expect((await get("/api/compliance/validate/data-residency?customer_id=Bad_Id")).status).toBe(400);
    expect((await get("/api/compliance/validate/data-residency", {})).status).toBe(401);
  });

  it("raises a new event after resolution while the violation persists, and clears the mark once fixed", async () => {
    const [event] = await sql`select event_id from compliance_events where dedupe_key = ${`residency:${movedId}`}`;
    expect((await resolve(event!.event_id as string, { resolution_note: "Migration ticket OPS-42 opened" }, bearer(tokens.officer!))).status).toBe(200);
    expect(await validate()).toMatchObject({ violation_count: 1, events_raised: 1 });
    const open = await sql`select count(*)::int as n from compliance_events where event_type = 'data_residency_violation' and resolved_at is null`;
    expect(open[0]!.n).toBe(1);

    await sql`update object_metadata set storage_country = 'FI', region_id = 'FI-HEL', storage_provider_id = 'fi-hel-fs' where object_id = ${movedId}`;
    expect(await validate()).toMatchObject({ violation_count: 0, events_raised: 0 });
    const [obj] = await sql`select compliance_status from object_metadata where object_id = ${movedId}`;
    expect(obj!.compliance_status).toBe("compliant");
  });
});
