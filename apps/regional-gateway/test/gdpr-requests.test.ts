import { gdprResponseDeadline } from "@s3gw/core";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raiseDeadlineAlerts } from "../src/services/gdpr/gdpr.ts";
import { gdprApi, json, type Dsr } from "./gdpr-helpers.ts";
import { ADMIN_TOKEN, mintToken, register, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let api: ReturnType<typeof gdprApi>;
const t: Record<string, string> = {};
const DAY = 86_400_000;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  api = gdprApi(fi.url);
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
  expect((await register(fi.url, "globex", { customer_name: "Globex" })).status).toBe(201);
  t.officer = await mintToken(fi.url, "dpo", "compliance_officer");
  t.auditor = await mintToken(fi.url, "auditor", "auditor");
  t.acmeOfficer = await mintToken(fi.url, "acme dpo", "compliance_officer", "acme-corp");
  t.acmeAuditor = await mintToken(fi.url, "acme auditor", "auditor", "acme-corp");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

const create = async (body: Record<string, unknown>, token = t.officer!) => json(await api(token, "POST", "/requests", body), 201);

describe("creating requests", () => {
  it("answers 201 with the request and a deadline one calendar month after receipt", async () => {
    const dsr = await create({ customer_id: "acme-corp", data_subject_id: "alice@example.com", request_type: "access", notes: "received by e-mail" });
    expect(dsr).toMatchObject({ customer_id: "acme-corp", data_subject_id: "alice@example.com", request_type: "access", status: "pending", deadline_state: "ok", overdue: false, completed_at: null, result: null });
    expect(dsr.response_deadline).toBe(gdprResponseDeadline(new Date(dsr.received_at)).toISOString());
    expect(new Date(dsr.response_deadline).getTime() - new Date(dsr.received_at).getTime()).toBeGreaterThanOrEqual(28 * DAY);
    expect(dsr.notes).toContain("received by e-mail");
    expect(dsr.requested_by).toMatch(/^token:.*compliance_officer/);
    const [row] = await sql`select status, response_deadline from data_subject_requests where request_id = ${dsr.request_id}`;
    expect(row!.status).toBe("pending");
    expect((row!.response_deadline as Date).toISOString()).toBe(dsr.response_deadline);
    const got = await json(await api(t.auditor!, "GET", `/requests/${dsr.request_id}`), 200);
    expect(got).toEqual(dsr);
    // The audit row names the request, not the data subject: the log is append-only and could never forget it.
    const [logged] = await sql`select compliance_info, customer_id, result from operations_log where operation_type = 'CreateDataSubjectRequest' and customer_id = 'acme-corp'`;
    expect(logged).toMatchObject({ customer_id: "acme-corp", result: "success", compliance_info: { request_id: dsr.request_id, request_type: "access" } });
    expect(JSON.stringify(logged!.compliance_info)).not.toContain("alice");
  });

  it("validates the body, the customer and the path", async () => {
    const good = { customer_id: "acme-corp", data_subject_id: "s-1", request_type: "erasure" };
    const bad = async (body: unknown) => (await api(t.officer!, "POST", "/requests", body)).status;
    expect(await bad({ ...good, request_type: "deletion" })).toBe(400);
    expect(await bad({ ...good, data_subject_id: "" })).toBe(400);
    expect(await bad({ ...good, data_subject_id: "x".repeat(257) })).toBe(400);
    expect(await bad({ ...good, surprise: 1 })).toBe(400);
    expect(await bad({ ...good, customer_id: "Not A Customer!" })).toBe(400);
    expect(await bad({ data_subject_id: "s-1", request_type: "access" })).toBe(400);
    expect(await bad("{not json")).toBe(400);
    expect(await bad({ ...good, customer_id: "nobody-here" })).toBe(404);
    expect(await bad({ ...good, data_subject_id: "x".repeat(256) })).toBe(201);
    const body = await json<{ error: { code: string; message: string } }>(await api(t.officer!, "POST", "/requests", { ...good, request_type: "forget" }), 400);
    expect(body.error).toMatchObject({ code: "BAD_REQUEST" });
    expect(body.error.message).toContain("request_type");
    expect((await api(t.auditor!, "GET", "/requests/not-a-uuid")).status).toBe(400);
    expect((await api(t.auditor!, "GET", "/requests/0b6f4a1e-5a43-4d8e-9f9a-3b1f2e4c5d6a")).status).toBe(404);
    expect((await api(t.auditor!, "GET", "/requests?status=done")).status).toBe(400);
    expect((await api(t.auditor!, "GET", "/requests?limit=0")).status).toBe(400);
    expect((await api(t.auditor!, "GET", "/requests?limit=501")).status).toBe(400);
    expect((await api(t.auditor!, "GET", "/requests?cursor=garbage")).status).toBe(400);
    expect((await api(t.auditor!, "GET", "/requests?overdue=yes")).status).toBe(400);
  });
});

describe("roles and customer scope", () => {
  it("lets auditors read but not create, execute or update; refusals are logged", async () => {
    const dsr = await create({ customer_id: "acme-corp", data_subject_id: "bob", request_type: "erasure" });
    expect((await api(t.auditor!, "POST", "/requests", { customer_id: "acme-corp", data_subject_id: "x", request_type: "access" })).status).toBe(403);
    expect((await api(t.auditor!, "POST", `/requests/${dsr.request_id}/execute`)).status).toBe(403);
    expect((await api(t.auditor!, "POST", `/requests/${dsr.request_id}/lift`)).status).toBe(403);
    expect((await api(t.auditor!, "PATCH", `/requests/${dsr.request_id}`, { status: "rejected" })).status).toBe(403);
    expect((await fetch(`${fi.url}/api/gdpr/requests`)).status).toBe(401);
    expect((await api("wrong-token", "GET", "/requests")).status).toBe(401);
    expect((await json(await api(t.auditor!, "GET", `/requests/${dsr.request_id}`), 200)).status).toBe("pending");
    const denied = await sql`select status_code, result from operations_log where operation_type = 'ExecuteDataSubjectRequest' and status_code = 403`;
    expect(denied).toEqual([{ status_code: 403, result: "denied" }]);
    const [still] = await sql`select status from data_subject_requests where request_id = ${dsr.request_id}`;
    expect(still!.status).toBe("pending");
  });

  it("keeps a customer-scoped token to its own customer", async () => {
    const theirs = await create({ customer_id: "globex", data_subject_id: "carol", request_type: "access" });
    const mine = await create({ customer_id: "acme-corp", data_subject_id: "dan", request_type: "access" }, t.acmeOfficer);
    expect((await api(t.acmeOfficer!, "POST", "/requests", { customer_id: "globex", data_subject_id: "x", request_type: "access" })).status).toBe(403);
    expect((await api(t.acmeAuditor!, "GET", `/requests/${theirs.request_id}`)).status).toBe(404);
    expect((await api(t.acmeOfficer!, "POST", `/requests/${theirs.request_id}/execute`)).status).toBe(404);
    expect((await api(t.acmeOfficer!, "PATCH", `/requests/${theirs.request_id}`, { notes: "x" })).status).toBe(404);
    expect((await api(t.acmeAuditor!, "GET", "/requests?customer_id=globex")).status).toBe(403);
    const listed = await json<{ items: Dsr[] }>(await api(t.acmeAuditor!, "GET", "/requests?limit=500"), 200);
    expect(listed.items.length).toBeGreaterThan(0);
    expect(new Set(listed.items.map((i) => i.customer_id))).toEqual(new Set(["acme-corp"]));
    expect(listed.items.map((i) => i.request_id)).toContain(mine.request_id);
    const all = await json<{ items: Dsr[] }>(await api(ADMIN_TOKEN, "GET", "/requests?limit=500"), 200);
    expect(all.items.map((i) => i.request_id)).toContain(theirs.request_id);
  });
});

describe("listing", () => {
  it("pages newest first, each request once, and filters by status", async () => {
    for (let i = 0; i < 5; i++) await create({ customer_id: "globex", data_subject_id: `page-${i}`, request_type: "objection" });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const q: string = `/requests?customer_id=globex&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page: { items: Dsr[]; next_cursor: string | null } = await json(await api(t.auditor!, "GET", q), 200);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.request_id));
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    const [{ n }] = (await sql`select count(*)::int as n from data_subject_requests where customer_id = 'globex'`) as unknown as [{ n: number }];
    expect(seen.length).toBe(n);
    expect(new Set(seen).size).toBe(n);
    const times = await sql`select request_id from data_subject_requests where customer_id = 'globex' order by received_at desc, request_id desc`;
    expect(seen).toEqual(times.map((r) => r.request_id));
    const pending = await json<{ items: Dsr[] }>(await api(t.auditor!, "GET", "/requests?customer_id=globex&status=pending"), 200);
    expect(pending.items.length).toBe(n);
    const completed = await json<{ items: Dsr[] }>(await api(t.auditor!, "GET", "/requests?customer_id=globex&status=completed"), 200);
    expect(completed.items).toEqual([]);
  });
});

describe("deadlines", () => {
  it("filters overdue requests and raises each deadline alert once", async () => {
    await register(fi.url, "late-co", { customer_name: "Late Co" });
    const late = await create({ customer_id: "late-co", data_subject_id: "s-late", request_type: "access" });
    const near = await create({ customer_id: "late-co", data_subject_id: "s-near", request_type: "erasure" });
    const fresh = await create({ customer_id: "late-co", data_subject_id: "s-fresh", request_type: "objection" });
    const doneLate = await create({ customer_id: "late-co", data_subject_id: "s-done", request_type: "rectification" });
    await sql`update data_subject_requests set received_at = now() - interval '40 days', response_deadline = now() - interval '9 days' where request_id in ${sql([late.request_id, doneLate.request_id])}`;
    await sql`update data_subject_requests set received_at = now() - interval '27 days', response_deadline = now() + interval '3 days' where request_id = ${near.request_id}`;
    await sql`update data_subject_requests set status = 'completed', completed_at = now() where request_id = ${doneLate.request_id}`;

    const overdue = await json<{ items: Dsr[] }>(await api(t.auditor!, "GET", "/requests?customer_id=late-co&overdue=true"), 200);
    expect(overdue.items.map((i) => i.request_id)).toEqual([late.request_id]);
    expect(overdue.items[0]).toMatchObject({ overdue: true, deadline_state: "overdue", status: "pending" });
    const notOverdue = await json<{ items: Dsr[] }>(await api(t.auditor!, "GET", "/requests?customer_id=late-co&overdue=false"), 200);
    expect(new Set(notOverdue.items.map((i) => i.request_id))).toEqual(new Set([near.request_id, fresh.request_id, doneLate.request_id]));
    expect(notOverdue.items.find((i) => i.request_id === near.request_id)).toMatchObject({ deadline_state: "near", overdue: false });
    expect(notOverdue.items.find((i) => i.request_id === doneLate.request_id)).toMatchObject({ deadline_state: null, overdue: false });

    const events = () => sql`select event_type, severity, details, dedupe_key, resolved_at from compliance_events where customer_id = 'late-co' order by event_type`;
    const first = await events();
    expect(first).toEqual([
      expect.objectContaining({ event_type: "gdpr_deadline_near", severity: "medium", dedupe_key: `gdpr:${near.request_id}:near`, resolved_at: null }),
      expect.objectContaining({ event_type: "gdpr_deadline_overdue", severity: "high", dedupe_key: `gdpr:${late.request_id}:overdue`, resolved_at: null }),
    ]);
    expect(first[1]!.details).toMatchObject({ request_id: late.request_id, request_type: "access" });
    expect(JSON.stringify(first)).not.toContain("s-late");

    // Listing again, a timer tick and a direct run raise nothing new.
    await json(await api(t.auditor!, "GET", "/requests?customer_id=late-co"), 200);
    expect((await raiseDeadlineAlerts(fi.deps)).raised).toBe(0);
    expect(await events()).toHaveLength(2);

    // Answering the near request retires its reminder; the overdue alert stays for the officer to resolve.
    await json(await api(t.officer!, "PATCH", `/requests/${near.request_id}`, { status: "rejected", notes: "manifestly unfounded (Art. 12(5))" }), 200);
    await json(await api(t.officer!, "PATCH", `/requests/${late.request_id}`, { status: "in_progress" }), 200);
    const after = await events();
    expect(after.find((e) => e.event_type === "gdpr_deadline_near")!.resolved_at).toBeInstanceOf(Date);
    expect(after.find((e) => e.event_type === "gdpr_deadline_overdue")!.resolved_at).toBeNull();
  });
});

describe("tracked requests: rectification and objection", () => {
  it("move through statuses with accumulated notes and a history", async () => {
    const rect = await create({ customer_id: "acme-corp", data_subject_id: "erin", request_type: "rectification", notes: "address is wrong" });
    expect((await api(t.officer!, "POST", `/requests/${rect.request_id}/execute`)).status).toBe(400);
    expect((await api(t.officer!, "PATCH", `/requests/${rect.request_id}`, {})).status).toBe(400);
    expect((await api(t.officer!, "PATCH", `/requests/${rect.request_id}`, { status: "done" })).status).toBe(400);
    const started = await json(await api(t.officer!, "PATCH", `/requests/${rect.request_id}`, { status: "in_progress", notes: "asked the CRM team" }), 200);
    expect(started).toMatchObject({ status: "in_progress", completed_at: null });
    const done = await json(await api(t.acmeOfficer!, "PATCH", `/requests/${rect.request_id}`, { status: "completed", notes: "address corrected in CRM" }), 200);
    expect(done.status).toBe("completed");
    expect(done.completed_at).not.toBeNull();
    expect(done.notes!.split("\n")).toHaveLength(3);
    expect(done.notes).toMatch(/address is wrong[\s\S]*asked the CRM team[\s\S]*address corrected in CRM/);
    expect(done.result!.history).toEqual([
      expect.objectContaining({ from: "pending", to: "in_progress", note: "asked the CRM team" }),
      expect.objectContaining({ from: "in_progress", to: "completed", note: "address corrected in CRM" }),
    ]);
    expect((await api(t.officer!, "PATCH", `/requests/${rect.request_id}`, { status: "in_progress" })).status).toBe(409);
    const noted = await json(await api(t.officer!, "PATCH", `/requests/${rect.request_id}`, { notes: "subject confirmed" }), 200);
    expect(noted).toMatchObject({ status: "completed" });
    expect(noted.notes).toContain("subject confirmed");

    const obj = await create({ customer_id: "acme-corp", data_subject_id: "erin", request_type: "objection" });
    const rejected = await json(await api(t.officer!, "PATCH", `/requests/${obj.request_id}`, { status: "rejected", notes: "compelling legitimate grounds (Art. 21(1))" }), 200);
    expect(rejected).toMatchObject({ status: "rejected", deadline_state: null });
    expect(rejected.completed_at).not.toBeNull();
    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'UpdateDataSubjectRequest' and compliance_info->>'request_id' = ${obj.request_id}`;
    expect(logged!.compliance_info).toMatchObject({ status: "rejected", request_type: "objection" });
  });

  it("completes executable types only by executing them", async () => {
    const erasure = await create({ customer_id: "acme-corp", data_subject_id: "frank", request_type: "erasure" });
    expect((await api(t.officer!, "PATCH", `/requests/${erasure.request_id}`, { status: "completed" })).status).toBe(400);
    expect((await json(await api(t.officer!, "PATCH", `/requests/${erasure.request_id}`, { status: "in_progress" }), 200)).status).toBe("in_progress");
  });
});
