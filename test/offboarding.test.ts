import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { postgresClient } from "@s3gw/db";
import type { RunningGlobalRouter } from "@s3gw/global-router";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRouter } from "./support/stack.ts";
import { adminAuth, bearer, mintToken, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "../apps/regional-gateway/test/harness.ts";
import { s3Outcome, sdkClient, type CreatedKey } from "../apps/regional-gateway/test/sdk-client.ts";
import { closedPort } from "../apps/global-router/test/helpers.ts";

/**
 * Offboarding through real sockets: FI-HEL behind a global router, customers reached with the
 * AWS SDK through the global endpoint. A held object is kept and reported, nothing is shredded
 * while it is, the router forgets the customer, the tombstone keeps the audit trail; a clean
 * customer gets a crypto-shred request; a job stopped by an unreachable router resumes; a
 * region cannot unroute a customer the router homes in another region.
 */
let a: TestRegion;
let router: RunningGlobalRouter;
let closeRouter: () => Promise<void>;
let globalDatabaseUrl: string;
let sql: postgres.Sql;
const json = { "content-type": "application/json" };
const api = (method: string, path: string, body?: unknown, auth: Record<string, string> = adminAuth) =>
  fetch(`${a.url}/api${path}`, { method, headers: { ...json, ...auth }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });

/** Routed, registered, with a read-write key and a bucket: its SDK client through the global endpoint. */
async function onboard(id: string, bucket: string, versioned = false): Promise<S3Client> {
  expect((await fetch(`${router.url}/routing/customers/${id}?region_id=FI-HEL`, { method: "POST", headers: adminAuth })).status).toBe(201);
  expect((await api("POST", `/customers/${id}/register`, {
    customer_name: `${id} Oy`, country: "Finland", data_residency_requirement: "strict",
    primary_contact_email: `ops@${id}.example`, compliance_officer_email: `dpo@${id}.example`,
  })).status).toBe(201);
  const res = await api("POST", `/customers/${id}/access-keys`, { permission: "read-write" });
  expect(res.status).toBe(201);
  const client = sdkClient(router.url, (await res.json()) as CreatedKey);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  if (versioned) await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return client;
}
const putObj = (c: S3Client, bucket: string, key: string, body = "data") => c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const getObj = (c: S3Client, bucket: string, key: string) => s3Outcome(c.send(new GetObjectCommand({ Bucket: bucket, Key: key })));

beforeAll(async () => {
  a = await startTestRegion("FI-HEL");
  ({ router, close: closeRouter, databaseUrl: globalDatabaseUrl } = await startTestRouter({ regions: TEST_TOPOLOGY.regions.map((r) => ({ ...r, endpoint: r.region_id === "FI-HEL" ? a.url : "http://127.0.0.1:9" })) }, { upstream: { connectTimeoutMs: 1000, headersTimeoutMs: 10_000, bodyTimeoutMs: 60_000 } }));
  a.deps.config.globalRouterUrl = router.url;
  sql = postgresClient(a.databaseUrl, { max: 1 });
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await closeRouter?.();
  await a?.destroy();
});

describe("offboarding a customer with a held object", () => {
  let off: S3Client;
  let bystander: S3Client;

  beforeAll(async () => {
    off = await onboard("off-co", "files", true);
    bystander = await onboard("bystander", "files");
    await putObj(off, "files", "keep.txt", "evidence");
    await putObj(off, "files", "gone.txt", "v1");
    await putObj(off, "files", "gone.txt", "v2");
    await putObj(off, "files", "marked.txt", "m");
    await off.send(new DeleteObjectCommand({ Bucket: "files", Key: "marked.txt" }));
    await putObj(bystander, "files", "theirs.txt", "theirs");
    expect((await api("PUT", "/holds", { customer_id: "off-co", bucket: "files", key: "keep.txt", reason: "litigation 2026-17" })).status).toBe(200);
  });

  it("refuses other roles, other customers' tokens and bad input, and changes nothing", async () => {
    const auditor = await mintToken(a.url, "off-auditor", "auditor");
    const officer = await mintToken(a.url, "off-officer", "compliance_officer", "off-co");
    const otherAdmin = await mintToken(a.url, "bystander-admin", "admin", "bystander");
    for (const auth of [bearer(auditor), bearer(officer), bearer(otherAdmin)]) {
      expect((await api("POST", "/customers/off-co/offboard", { reason: "contract ended", export: true }, auth)).status).toBe(403);
    }
    expect((await api("POST", "/customers/off-co/offboard", { reason: "contract ended", export: true }, {})).status).toBe(401);
    for (const bad of [{}, { reason: "x" }, { reason: "x", export: "yes" }, { reason: "", export: true }, { reason: "x", export: true, now: 1 }, "[", "null"]) {
      const res = await api("POST", "/customers/off-co/offboard", bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
    }
    expect((await api("POST", "/customers/nobody-here/offboard", { reason: "x", export: false })).status).toBe(404);
    expect((await api("GET", "/customers/off-co/offboard")).status).toBe(404);
    expect(await getObj(off, "files", "gone.txt")).toBe("ok");
    expect((await sql`select count(*)::int as n from customer_offboarding`)[0]!.n).toBe(0);
  });

  it("freezes, exports, erases all but the held version, skips the shred, unroutes and keeps a tombstone", async () => {
    const [{ n: logBefore }] = (await sql`select count(*)::int as n from operations_log where customer_id = 'off-co'`) as unknown as [{ n: number }];
    const res = await api("POST", "/customers/off-co/offboard", { reason: "contract ended", export: true });
    expect(res.status).toBe(200);
    const job = (await res.json()) as { status: string; step: string; resumed: boolean; result: Record<string, any> };
    expect(job).toMatchObject({ status: "completed", step: "done", resumed: false });
    expect(job.result.freeze).toEqual({ status: "suspended", reads: "refused" });
    expect(job.result.export).toMatchObject({ kind: "manifest", object_versions_total: 4, truncated: false, buckets: [{ name: "files", versioning: "Enabled" }] });
    expect((job.result.export.object_versions as { key: string }[]).map((v) => v.key).sort()).toEqual(["gone.txt", "gone.txt", "keep.txt", "marked.txt"]);
    expect(job.result.erase).toMatchObject({ erased: 3, delete_markers_removed: 1, byte_deletes_failed: 0 });
    expect(job.result.erase.kept).toHaveLength(1);
    expect(job.result.erase.kept[0]).toMatchObject({ bucket: "files", key: "keep.txt" });
    expect(job.result.erase.kept[0].reason).toMatch(/legal hold/i);
    expect(job.result.shred).toMatchObject({ protected_object_versions: 1 });
    expect(job.result.shred.skipped).toContain("legal hold");
    expect(job.result.unroute).toMatchObject({ routed: true, access_keys_removed: 1 });
    expect(job.result.tombstone).toMatchObject({ status: "offboarded", access_keys_disabled: 1 });

    // What the region keeps: the held version, the tombstone, the whole audit trail; no shred request.
    expect((await sql`select object_key from object_metadata where customer_id = 'off-co'`).map((r) => r.object_key)).toEqual(["keep.txt"]);
    expect((await sql`select count(*)::int as n from object_delete_markers where customer_id = 'off-co'`)[0]!.n).toBe(0);
    expect((await sql`select count(*)::int as n from crypto_shred_requests where customer_id = 'off-co'`)[0]!.n).toBe(0);
    expect((await sql`select status from customers where customer_id = 'off-co'`)[0]!.status).toBe("offboarded");
    const [{ n: logAfter }] = (await sql`select count(*)::int as n from operations_log where customer_id = 'off-co'`) as unknown as [{ n: number }];
    expect(logAfter).toBeGreaterThan(logBefore);
    const [audit] = await sql`select compliance_info from operations_log where operation_type = 'OffboardCustomer' and status_code = 200`;
    expect(audit!.compliance_info).toMatchObject({ status: "completed", erased: 3, kept: 1, shred: { skipped: true }, export: true });

    // The router forgot it: the key is unknown, the route gone. The bystander is untouched.
    expect(await getObj(off, "files", "keep.txt")).toBe("403 InvalidAccessKeyId");
    expect((await fetch(`${router.url}/routing/customers/off-co`, { headers: adminAuth })).status).toBe(404);
    expect(await getObj(bystander, "files", "theirs.txt")).toBe("ok");

    const shown = await api("GET", "/customers/off-co/offboard", undefined, bearer(await mintToken(a.url, "off-auditor-2", "auditor")));
    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({ status: "completed", step: "done", reason: "contract ended", export: true, crypto_shred: null });
  });

  it("a tombstone cannot be offboarded again, resumed, suspended or changed", async () => {
    expect((await api("POST", "/customers/off-co/offboard", { reason: "again", export: false })).status).toBe(409);
    expect((await api("POST", "/customers/off-co/resume")).status).toBe(409);
    expect((await api("POST", "/customers/off-co/suspend", { reason: "x", reads: "allowed" })).status).toBe(409);
    expect((await api("PATCH", "/customers/off-co", { customer_name: "Zombie" })).status).toBe(409);
    expect(((await (await api("GET", "/customers/off-co/info")).json()) as { status: string }).status).toBe("offboarded");
  });
});

describe("offboarding a customer with nothing protected", () => {
  it("schedules a crypto-shred request through the key service", async () => {
    const clean = await onboard("clean-co", "bin");
    await putObj(clean, "bin", "one.txt");
    const res = await api("POST", "/customers/clean-co/offboard", { reason: "account closed", export: false });
    expect(res.status).toBe(200);
    const job = (await res.json()) as { status: string; result: Record<string, any> };
    expect(job.status).toBe("completed");
    expect(job.result.export).toEqual({ skipped: "not requested" });
    expect(job.result.erase).toMatchObject({ erased: 1, kept: [] });
    expect(job.result.shred).toMatchObject({ scheduled: true });
    const [shred] = await sql`select status, reason, request_id from crypto_shred_requests where customer_id = 'clean-co'`;
    expect(shred).toMatchObject({ status: "pending", reason: "offboarding: account closed", request_id: job.result.shred.request_id });
    const shown = (await (await api("GET", "/customers/clean-co/offboard")).json()) as { crypto_shred: { status: string } };
    expect(shown.crypto_shred.status).toBe("pending");
  });
});

describe("a job stopped by an unreachable router", () => {
  it("fails at the unroute step, stays frozen, and resumes there", async () => {
    const retry = await onboard("retry-co", "box");
    await putObj(retry, "box", "r.txt");
    a.deps.config.globalRouterUrl = `http://127.0.0.1:${await closedPort()}`;
    try {
      const failed = await api("POST", "/customers/retry-co/offboard", { reason: "moving away", export: false });
      expect(failed.status).toBe(503);
    } finally {
      a.deps.config.globalRouterUrl = router.url;
    }
    const state = (await (await api("GET", "/customers/retry-co/offboard")).json()) as { status: string; step: string; last_error: string };
    expect(state).toMatchObject({ status: "failed", step: "unroute" });
    expect(state.last_error).toContain("unroute");
    // Frozen meanwhile: still routed, but every request refused as suspended; no resume while offboarding.
    expect(await s3Outcome(putObj(retry, "box", "late.txt"))).toBe("403 AccessDenied");
    expect(await getObj(retry, "box", "r.txt")).toBe("403 AccessDenied");
    expect((await api("POST", "/customers/retry-co/resume")).status).toBe(409);

    const resumed = await api("POST", "/customers/retry-co/offboard", { reason: "ignored: the first reason stands", export: true });
    expect(resumed.status).toBe(200);
    const job = (await resumed.json()) as { status: string; resumed: boolean; reason: string; result: Record<string, any> };
    expect(job).toMatchObject({ status: "completed", resumed: true, reason: "moving away" });
    expect(job.result.unroute).toMatchObject({ routed: true });
    expect(await getObj(retry, "box", "r.txt")).toBe("403 InvalidAccessKeyId");
  });
});

describe("a region offboarding a customer the router homes elsewhere", () => {
  it("FI-HEL cannot unroute a DE-FRA customer: the router refuses (403, in its routing log), the job stops at the unroute step", async () => {
    await onboard("elsewhere-co", "box");
    // The router now homes it in DE-FRA (re-routed by the admin); FI-HEL still holds its profile.
    expect((await fetch(`${router.url}/routing/customers/elsewhere-co`, { method: "DELETE", headers: adminAuth })).status).toBe(200);
    expect((await fetch(`${router.url}/routing/customers/elsewhere-co?region_id=DE-FRA`, { method: "POST", headers: adminAuth })).status).toBe(201);
    const res = await api("POST", "/customers/elsewhere-co/offboard", { reason: "wrong region", export: false });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("another region");
    const state = (await (await api("GET", "/customers/elsewhere-co/offboard")).json()) as { status: string; step: string };
    expect(state).toMatchObject({ status: "failed", step: "unroute" });
    const route = (await (await fetch(`${router.url}/routing/customers/elsewhere-co`, { headers: adminAuth })).json()) as { primary_region: string };
    expect(route.primary_region).toBe("DE-FRA");
    const global = postgresClient(globalDatabaseUrl, { max: 1 });
    try {
      const rows = await global`select region_id, status_code from routing_log where customer_id = 'elsewhere-co' and method = 'UNROUTE' order by id`;
      expect(rows.map((r) => [r.region_id, r.status_code])).toEqual([["FI-HEL", 200], ["FI-HEL", 403]]);
    } finally {
      await global.end();
    }
  });
});
