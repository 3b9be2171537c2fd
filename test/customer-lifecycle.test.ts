import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { postgresClient } from "@s3gw/db";
import type { RunningGlobalRouter } from "@s3gw/global-router";
import pino from "pino";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRouter } from "./support/stack.ts";
import { adminAuth, bearer, mintToken, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "../apps/regional-gateway/test/harness.ts";
import { s3Outcome, sdkClient, type CreatedKey } from "../apps/regional-gateway/test/sdk-client.ts";
import { startRegionalGateway, type RunningGateway } from "../apps/regional-gateway/src/start.ts";

/**
 * Customer lifecycle through real sockets: a global router, FI-HEL's gateway A behind it, and
 * a second gateway B of FI-HEL on A's database (its own cache). PATCH, suspend/resume (writes
 * refused through the global endpoint with the AWS SDK, reads per the choice, on both gateways
 * through their caches), and the authorisation and input checks of each route.
 */
let a: TestRegion;
let b: RunningGateway;
let router: RunningGlobalRouter;
let closeRouter: () => Promise<void>;
let sql: postgres.Sql;
let key: CreatedKey;
let viaRouter: S3Client;
let direct: { a: S3Client; b: S3Client };
const ID = "life-co";
const json = { "content-type": "application/json" };

const api = (method: string, path: string, body?: unknown, auth: Record<string, string> = adminAuth, base = a.url) =>
  fetch(`${base}/api/customers${path}`, { method, headers: { ...json, ...auth }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; requestId: string } }).error;
const put = (c: S3Client, k: string) => s3Outcome(c.send(new PutObjectCommand({ Bucket: "docs", Key: k, Body: "x" })));
const getObj = (c: S3Client, k: string) => s3Outcome(c.send(new GetObjectCommand({ Bucket: "docs", Key: k })));

async function until(what: string, check: () => Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  a = await startTestRegion("FI-HEL");
  ({ router, close: closeRouter } = await startTestRouter({ regions: TEST_TOPOLOGY.regions.map((r) => ({ ...r, endpoint: r.region_id === "FI-HEL" ? a.url : "http://127.0.0.1:9" })) }, { upstream: { connectTimeoutMs: 1000, headersTimeoutMs: 10_000, bodyTimeoutMs: 60_000 } }));
  a.deps.config.globalRouterUrl = router.url;
  b = await startRegionalGateway({ ...a.deps.config, port: 0 }, { logger: pino({ level: "silent" }) });
  sql = postgresClient(a.databaseUrl, { max: 1 });
  expect((await fetch(`${router.url}/routing/customers/${ID}?region_id=FI-HEL`, { method: "POST", headers: adminAuth })).status).toBe(201);
  expect((await fetch(`${router.url}/routing/customers/other-co?region_id=FI-HEL`, { method: "POST", headers: adminAuth })).status).toBe(201);
  for (const id of [ID, "other-co"]) {
    const res = await api("POST", `/${id}/register`, {
      customer_name: "Life Co", country: "Finland", data_residency_requirement: "strict", compliance_requirements: ["GDPR"],
      primary_contact_email: "ops@life.example", compliance_officer_email: "dpo@life.example",
    });
    expect(res.status).toBe(201);
  }
  const created = await api("POST", `/${ID}/access-keys`, { permission: "read-write" });
  expect(created.status).toBe(201);
  key = (await created.json()) as CreatedKey;
  viaRouter = sdkClient(router.url, key);
  direct = { a: sdkClient(a.url, key), b: sdkClient(b.url, key) };
  expect(await s3Outcome(viaRouter.send(new (await import("@aws-sdk/client-s3")).CreateBucketCommand({ Bucket: "docs" })))).toBe("ok");
  expect(await put(viaRouter, "hello.txt")).toBe("ok");
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await b?.close();
  await closeRouter?.();
  await a?.destroy();
});

describe("PATCH /api/customers/:id", () => {
  it("changes profile fields and audits their names only", async () => {
    const res = await api("PATCH", `/${ID}`, { customer_name: "Life Company Oy", primary_contact_email: "new-ops@life.example", compliance_requirements: ["GDPR"] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.customer_name).toBe("Life Company Oy");
    expect(body.primary_contact_email).toBe("new-ops@life.example");
    // compliance_requirements was sent unchanged: not a changed field.
    expect(body.changed_fields).toEqual(["customer_name", "primary_contact_email"]);
    const [row] = await sql`select compliance_info from operations_log where operation_type = 'UpdateCustomer' and status_code = 200 order by id desc limit 1`;
    expect(row!.compliance_info).toMatchObject({ changed_fields: ["customer_name", "primary_contact_email"] });
    expect(JSON.stringify(row!.compliance_info)).not.toContain("new-ops@life.example");
    expect(JSON.stringify(row!.compliance_info)).not.toContain("Life Company Oy");
    const info = (await (await api("GET", `/${ID}/info`)).json()) as Record<string, unknown>;
    expect(info.customer_name).toBe("Life Company Oy");
  });

  it("refuses residency and home-region changes, incoherent countries and bad input with 400", async () => {
    const move = await api("PATCH", `/${ID}`, { data_residency_requirement: "flexible" });
    expect(move.status).toBe(400);
    const err = await errorOf(move);
    expect(err.message).toContain("region move");
    expect(err.requestId).toBeTruthy();
    expect((await api("PATCH", `/${ID}`, { region_id: "DE-FRA" })).status).toBe(400);
    // A strict customer's country must stay the home region's.
    const country = await api("PATCH", `/${ID}`, { country: "Germany" });
    expect(country.status).toBe(400);
    expect((await errorOf(country)).message).toContain("country mismatch");
    for (const bad of [{}, { customer_name: "" }, { primary_contact_email: "not-an-email" }, { unknown_field: 1 }, { compliance_requirements: "GDPR" }, [], "null", "{not json", { legal_basis: "x".repeat(501) }]) {
      const res = await api("PATCH", `/${ID}`, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await api("PATCH", `/Bad_Id`, { customer_name: "x" })).status).toBe(400);
    const info = (await (await api("GET", `/${ID}/info`)).json()) as Record<string, unknown>;
    expect(info.data_residency_requirement).toBe("strict");
    expect(info.country).toBe("FI");
  });

  it("is admin only, scoped, and 404 for an unknown customer", async () => {
    const auditor = await mintToken(a.url, "life-auditor", "auditor");
    const officer = await mintToken(a.url, "life-officer", "compliance_officer", ID);
    const otherAdmin = await mintToken(a.url, "other-admin", "admin", "other-co");
    expect((await api("PATCH", `/${ID}`, { customer_name: "Nope" }, bearer(auditor))).status).toBe(403);
    expect((await api("PATCH", `/${ID}`, { customer_name: "Nope" }, bearer(officer))).status).toBe(403);
    expect((await api("PATCH", `/${ID}`, { customer_name: "Nope" }, bearer(otherAdmin))).status).toBe(403);
    expect((await api("PATCH", `/${ID}`, { customer_name: "Nope" }, {})).status).toBe(401);
    expect((await api("PATCH", `/nobody-here`, { customer_name: "Nope" })).status).toBe(404);
    expect(((await (await api("GET", `/${ID}/info`)).json()) as Record<string, unknown>).customer_name).toBe("Life Company Oy");
  });
});

describe("suspend and resume", () => {
  it("refuses bad input, other roles and other customers' tokens", async () => {
    for (const bad of [{}, { reason: "x" }, { reason: "x", reads: "maybe" }, { reason: "", reads: "allowed" }, { reason: "x", reads: "allowed", extra: true }, "{"]) {
      expect((await api("POST", `/${ID}/suspend`, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    const auditor = await mintToken(a.url, "life-auditor-2", "auditor");
    const otherAdmin = await mintToken(a.url, "other-admin-2", "admin", "other-co");
    expect((await api("POST", `/${ID}/suspend`, { reason: "x", reads: "allowed" }, bearer(auditor))).status).toBe(403);
    expect((await api("POST", `/${ID}/suspend`, { reason: "x", reads: "allowed" }, bearer(otherAdmin))).status).toBe(403);
    expect((await api("POST", `/${ID}/resume`, undefined, bearer(otherAdmin))).status).toBe(403);
    expect((await api("POST", `/nobody-here/suspend`, { reason: "x", reads: "allowed" })).status).toBe(404);
    // Not suspended: nothing to resume.
    expect((await api("POST", `/${ID}/resume`)).status).toBe(409);
    expect(await put(viaRouter, "still-active.txt")).toBe("ok");
  });

  it("reads allowed: writes get 403 through the global endpoint and on both gateways, reads work", async () => {
    // Warm B's cache with the active profile first.
    expect(await getObj(direct.b, "hello.txt")).toBe("ok");
    const res = await api("POST", `/${ID}/suspend`, { reason: "unpaid invoices", reads: "allowed" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "suspended", suspended_reads: "allowed", suspended_reason: "unpaid invoices" });
    await until("B refuses writes", async () => (await put(direct.b, "b.txt")) === "403 AccessDenied");
    try {
      await viaRouter.send(new PutObjectCommand({ Bucket: "docs", Key: "w.txt", Body: "x" }));
      expect.unreachable();
    } catch (e) {
      expect((e as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(403);
      expect((e as Error).name).toBe("AccessDenied");
      expect((e as Error).message).toContain("suspended");
    }
    expect(await s3Outcome(viaRouter.send(new DeleteObjectCommand({ Bucket: "docs", Key: "hello.txt" })))).toBe("403 AccessDenied");
    expect(await put(direct.a, "a.txt")).toBe("403 AccessDenied");
    expect(await getObj(viaRouter, "hello.txt")).toBe("ok");
    expect(await getObj(direct.b, "hello.txt")).toBe("ok");
    expect(await s3Outcome(viaRouter.send(new ListObjectsV2Command({ Bucket: "docs" })))).toBe("ok");
    // Another customer of the region is untouched; the management API still works for admins.
    expect(((await (await api("GET", `/${ID}/info`)).json()) as Record<string, unknown>).status).toBe("suspended");
    expect((await api("PATCH", `/${ID}`, { legal_basis: "contract" })).status).toBe(200);
    const [denied] = await sql`select count(*)::int as n from operations_log where customer_id = ${ID} and operation_type = 'PutObject' and status_code = 403`;
    expect(denied!.n).toBeGreaterThanOrEqual(2);
  });

  it("reads refused: reads get 403 too, on both gateways; resume restores everything", async () => {
    expect((await api("POST", `/${ID}/suspend`, { reason: "investigation", reads: "refused" })).status).toBe(200);
    await until("B refuses reads", async () => (await getObj(direct.b, "hello.txt")) === "403 AccessDenied");
    expect(await getObj(viaRouter, "hello.txt")).toBe("403 AccessDenied");
    expect(await s3Outcome(viaRouter.send(new ListObjectsV2Command({ Bucket: "docs" })))).toBe("403 AccessDenied");
    const resumed = await api("POST", `/${ID}/resume`);
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ status: "active", suspended_reads: null, suspended_reason: null });
    await until("B serves again", async () => (await put(direct.b, "back.txt")) === "ok");
    expect(await put(viaRouter, "back-again.txt")).toBe("ok");
    expect(await getObj(viaRouter, "back.txt")).toBe("ok");
    const ops = await sql`select operation_type, compliance_info from operations_log where customer_id = ${ID} and operation_type in ('SuspendCustomer', 'ResumeCustomer') and status_code = 200 order by id`;
    expect(ops.map((o) => o.operation_type)).toEqual(["SuspendCustomer", "SuspendCustomer", "ResumeCustomer"]);
    expect(ops[1]!.compliance_info).toMatchObject({ reason: "investigation", reads: "refused" });
  });
});
