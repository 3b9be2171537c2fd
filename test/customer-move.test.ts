import { randomBytes, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from "@aws-sdk/client-s3";
import { INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import { postgresClient } from "@s3gw/db";
import type { RunningGlobalRouter } from "@s3gw/global-router";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRouter } from "./support/stack.ts";
import { adminAuth, bearer, mintToken, startTestRegion, TEST_GATEWAY_SECRET, TEST_TOPOLOGY, type TestRegion } from "../apps/regional-gateway/test/harness.ts";
import { s3Outcome, sdkClient, type CreatedKey } from "../apps/regional-gateway/test/sdk-client.ts";

/**
 * A customer's move FI-HEL → DE-FRA through real sockets: three regions and a global router,
 * the customer reached with the AWS SDK through the global endpoint. DE-FRA sits behind a
 * small HTTP relay the test can cut (the target becoming unreachable mid-move), so the router's
 * topology names the relay as DE-FRA's gateway.
 */
let fi: TestRegion;
let de: TestRegion;
let us: TestRegion;
let router: RunningGlobalRouter;
let closeRouter: () => Promise<void>;
let fiSql: postgres.Sql;
let deSql: postgres.Sql;
let relay: http.Server;
let relayUrl: string;
/** While set, object uploads to DE-FRA beyond this many are cut (the socket destroyed). */
let cutAfterObjects: number | undefined;
let objectsRelayed = 0;
/** Run (and awaited) when the source asks DE-FRA to take over: the routing has switched, the target is not active yet. */
let beforeActivate: (() => Promise<void>) | undefined;

const json = { "content-type": "application/json" };
const api = (base: string, method: string, path: string, body?: unknown, auth: Record<string, string> = adminAuth) =>
  fetch(`${base}/api${path}`, { method, headers: { ...json, ...auth }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
const move = (to: string, auth: Record<string, string> = adminAuth) => api(fi.url, "POST", "/customers/mover/move", { to_region: to }, auth);
const text = async (p: Promise<{ Body?: { transformToString(): Promise<string> } }>) => (await (await p).Body!).transformToString();

/** Forwards everything to DE-FRA, except object uploads past `cutAfterObjects`, whose connection it drops. */
function startRelay(target: string): Promise<void> {
  relay = http.createServer((req, res) => {
    if (req.url?.endsWith("/object") && req.url.startsWith("/internal/moves/")) {
      objectsRelayed++;
      if (cutAfterObjects !== undefined && objectsRelayed > cutAfterObjects) {
        req.socket.destroy();
        return;
      }
    }
    const forward = () => {
      const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", () => res.destroy());
      req.pipe(up);
    };
    const hook = req.url?.endsWith("/activate") ? beforeActivate : undefined;
    if (hook) void hook().finally(forward);
    else forward();
  });
  return new Promise((resolve) => relay.listen(0, "127.0.0.1", () => {
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    resolve();
  }));
}

async function filesUnder(dir: string, needle: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && `${e.parentPath}/${e.name}`.includes(needle)).map((e) => e.name);
}

let client: S3Client;
let key: CreatedKey;
const versions: Record<string, string[]> = {};
const bigPart = randomBytes(5 * 1024 * 1024);
/** FI-HEL's version rows before the move, as DE-FRA must hold them after. */
let before: postgres.RowList<postgres.Row[]>;
let kmsKeyId: string;

beforeAll(async () => {
  [fi, de, us] = (await Promise.all(["FI-HEL", "DE-FRA", "US-EAST"].map((id) => startTestRegion(id)))) as [TestRegion, TestRegion, TestRegion];
  await startRelay(de.url);
  const urls: Record<string, string> = { "FI-HEL": fi.url, "DE-FRA": relayUrl, "US-EAST": us.url };
  ({ router, close: closeRouter } = await startTestRouter({ regions: TEST_TOPOLOGY.regions.map((r) => ({ ...r, endpoint: urls[r.region_id]! })) }));
  for (const r of [fi, de, us]) r.deps.config.globalRouterUrl = router.url;
  fiSql = postgresClient(fi.databaseUrl, { max: 1 });
  deSql = postgresClient(de.databaseUrl, { max: 1 });

  expect((await fetch(`${router.url}/routing/customers/mover?region_id=FI-HEL`, { method: "POST", headers: adminAuth })).status).toBe(201);
  expect((await api(fi.url, "POST", "/customers/mover/register", {
    customer_name: "Mover Oy", country: "Finland", data_residency_requirement: "jurisdiction", compliance_requirements: ["GDPR"],
    primary_contact_email: "ops@mover.example", compliance_officer_email: "dpo@mover.example",
  })).status).toBe(201);
  const created = await api(fi.url, "POST", "/customers/mover/access-keys", { permission: "read-write" });
  expect(created.status).toBe(201);
  key = (await created.json()) as CreatedKey;
  client = sdkClient(router.url, key);
  await client.send(new CreateBucketCommand({ Bucket: "docs" }));
  await client.send(new PutBucketVersioningCommand({ Bucket: "docs", VersioningConfiguration: { Status: "Enabled" } }));
  await client.send(new CreateBucketCommand({ Bucket: "plain" }));
  for (const [k, bodies] of [["report.txt", ["v1", "v2", "v3"]], ["gone.txt", ["only"]], ["held.txt", ["evidence"]]] as const) {
    versions[k] = [];
    for (const b of bodies) versions[k].push((await client.send(new PutObjectCommand({ Bucket: "docs", Key: k, Body: b }))).VersionId!);
  }
  await client.send(new DeleteObjectCommand({ Bucket: "docs", Key: "gone.txt" }));
  await client.send(new PutObjectCommand({ Bucket: "plain", Key: "a/b c.txt", Body: "plain bytes", Metadata: { owner: "ops" }, Tagging: "k=v" }));
  // A multipart object: its parts, their digests and its `-2` ETag must survive the move.
  const up = await client.send(new CreateMultipartUploadCommand({ Bucket: "plain", Key: "big.bin" }));
  const p1 = await client.send(new UploadPartCommand({ Bucket: "plain", Key: "big.bin", UploadId: up.UploadId, PartNumber: 1, Body: bigPart }));
  const p2 = await client.send(new UploadPartCommand({ Bucket: "plain", Key: "big.bin", UploadId: up.UploadId, PartNumber: 2, Body: "tail" }));
  await client.send(new CompleteMultipartUploadCommand({ Bucket: "plain", Key: "big.bin", UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } }));
  // SSE-KMS under a key of its own: the target seals it under the same key id (fresh material there).
  const kms = await api(fi.url, "POST", "/customers/mover/keys", { description: "contracts" });
  expect(kms.status).toBe(201);
  kmsKeyId = ((await kms.json()) as { key_id: string }).key_id;
  await client.send(new PutObjectCommand({ Bucket: "plain", Key: "kms.txt", Body: "sealed under contracts", ServerSideEncryption: "aws:kms", SSEKMSKeyId: kmsKeyId }));
  expect((await api(fi.url, "PUT", "/holds", { customer_id: "mover", bucket: "docs", key: "held.txt", reason: "litigation 2026-44" })).status).toBe(200);
  expect((await api(fi.url, "PUT", "/customers/mover/rules", {
    allowed_content_types: null, max_object_size_bytes: 50 * 1024 * 1024, reject_duplicate_content: false, block_cross_border_access: false,
    unknown_source_country: "allow", anomaly_threshold_per_hour: 100_000,
  })).status).toBe(200);
  expect((await api(fi.url, "POST", "/gdpr/requests", { customer_id: "mover", data_subject_id: "subject-7", request_type: "access" })).status).toBe(201);
  before = await fiSql`select bucket_name, object_key, version_id, version_stamp, is_latest, etag, sha256, size_bytes, last_modified, tags, user_metadata from object_metadata where customer_id = 'mover' order by 1, 2, 3`;
  expect(before.length).toBe(8);
}, 180_000);

afterAll(async () => {
  await fiSql?.end();
  await deSql?.end();
  await closeRouter?.();
  await new Promise((r) => relay?.close(r));
  await Promise.all([fi, de, us].map((r) => r?.destroy()));
});

describe("refused moves change nothing", () => {
  it("refuses other roles, bad input, the same region, an unknown region and one outside the residency requirement", async () => {
    const auditor = await mintToken(fi.url, "move-auditor", "auditor");
    const officer = await mintToken(fi.url, "move-officer", "compliance_officer", "mover");
    for (const auth of [bearer(auditor), bearer(officer)]) expect((await move("DE-FRA", auth)).status).toBe(403);
    expect((await move("DE-FRA", {})).status).toBe(401);
    expect((await api(fi.url, "POST", "/customers/mover/move", { to_region: "DE-FRA", extra: true })).status).toBe(400);
    expect((await api(fi.url, "POST", "/customers/mover/move", "not json")).status).toBe(400);
    expect((await move("de-fra")).status).toBe(400);
    const same = await move("FI-HEL");
    expect(same.status).toBe(400);
    const unknown = await move("XX-NOPE");
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/unknown region XX-NOPE/);
    const us = await move("US-EAST");
    expect(us.status).toBe(403);
    const body = (await us.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("DataResidencyViolation");
    expect(body.error.message).toMatch(/jurisdiction residency/);
    expect((await api(fi.url, "GET", "/customers/mover/move")).status).toBe(404);
    expect(await text(client.send(new GetObjectCommand({ Bucket: "docs", Key: "report.txt" })))).toBe("v3");
    expect(await s3Outcome(client.send(new PutObjectCommand({ Bucket: "plain", Key: "still-writable", Body: "x" })))).toBe("ok");
    await client.send(new DeleteObjectCommand({ Bucket: "plain", Key: "still-writable" }));
  });

  it("refuses unsigned, mis-signed, tampered and replayed calls at the target", async () => {
    const path = "/internal/moves/mover/snapshot";
    const body = JSON.stringify({ from_region: "FI-HEL", to_region: "DE-FRA", nonce: randomUUID() });
    const post = (headers: Record<string, string>, b = body) => fetch(`${de.url}${path}`, { method: "POST", headers: { ...json, ...headers }, body: b });
    const sign = (b: string, secret = TEST_GATEWAY_SECRET, at = Date.now()) => ({ [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(secret, { method: "POST", path, body: b }, at / 1000) });
    expect((await post({})).status).toBe(401);
    expect((await post(sign(body, "another-secret-0123456789abcdef0123456789"))).status).toBe(401);
    expect((await post(sign(body, TEST_GATEWAY_SECRET, Date.now() - 10 * 60_000))).status).toBe(401);
    const tampered = JSON.stringify({ from_region: "US-EAST", to_region: "DE-FRA", nonce: randomUUID() });
    expect((await post(sign(body), tampered)).status).toBe(401);
    // Signed right, but no snapshot: the body is refused (400) and its signature is spent; again, it is a replay.
    const once = sign(body);
    expect((await post(once)).status).toBe(400);
    const replay = await post(once);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(/replay/);
    // An object for a customer the target is not receiving.
    const meta = JSON.stringify({ from_region: "FI-HEL", to_region: "DE-FRA", nonce: randomUUID(), bucket: "docs", key: "x" });
    const objPath = "/internal/moves/mover/object";
    const res = await fetch(`${de.url}${objPath}`, {
      method: "PUT", body: `${String(Buffer.byteLength(meta)).padStart(10, "0")}${meta}x`,
      headers: { [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(TEST_GATEWAY_SECRET, { method: "PUT", path: objPath, body: meta }, Date.now() / 1000) },
    });
    expect(res.status).toBe(400);
    expect((await deSql`select count(*)::int as n from customers where customer_id = 'mover'`)[0]!.n).toBe(0);
  });
});

describe("moving FI-HEL → DE-FRA", () => {
  it("stops with a bounded error when the target drops mid-copy, fenced: reads served, writes refused", async () => {
    cutAfterObjects = 3;
    objectsRelayed = 0;
    const started = Date.now();
    const res = await move("DE-FRA");
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("MOVE_PEER_UNAVAILABLE");
    const job = (await (await api(fi.url, "GET", "/customers/mover/move")).json()) as { status: string; step: string; last_error: string };
    expect(job.status).toBe("failed");
    expect(job.step).toBe("objects");
    expect(job.last_error).toMatch(/DE-FRA did not take object/);
    expect((await deSql`select count(*)::int as n from object_metadata where customer_id = 'mover'`)[0]!.n).toBe(3);
    // Still routed to FI-HEL, fenced there.
    expect(await text(client.send(new GetObjectCommand({ Bucket: "docs", Key: "report.txt", VersionId: versions["report.txt"]![0] })))).toBe("v1");
    const write = client.send(new PutObjectCommand({ Bucket: "docs", Key: "new.txt", Body: "late" }));
    await expect(write).rejects.toThrow(/being moved to region DE-FRA: writes are refused until the move completes/);
    expect((await api(fi.url, "POST", "/customers/mover/resume")).status).toBe(409);
    expect((await api(fi.url, "POST", "/customers/mover/offboard", { reason: "mid-move", export: false })).status).toBe(409);
    expect((await api(fi.url, "POST", "/customers/mover/move", { to_region: "FI-HEL" })).status).toBe(409);
  }, 60_000);

  it("resumes where it stopped and completes without copying anything twice; reads keep working across the switch", async () => {
    cutAfterObjects = undefined;
    objectsRelayed = 0;
    const between: string[] = [];
    beforeActivate = async () => {
      between.push(await text(client.send(new GetObjectCommand({ Bucket: "docs", Key: "report.txt" }))));
      between.push(await s3Outcome(client.send(new PutObjectCommand({ Bucket: "docs", Key: "between.txt", Body: "x" }))));
    };
    const res = await move("DE-FRA");
    beforeActivate = undefined;
    // Routed to DE-FRA already, not yet activated there: it reads, it does not write yet.
    expect(between).toEqual(["v3", "403 AccessDenied"]);
    expect(res.status).toBe(200);
    const job = (await res.json()) as { status: string; step: string; resumed: boolean; result: { objects: { versions_sent: number; versions_already_there: number } } };
    expect(job).toMatchObject({ status: "completed", step: "done", resumed: true });
    expect(job.result.objects).toMatchObject({ versions_already_there: 3 });
    expect(objectsRelayed).toBe(job.result.objects.versions_sent);
    const stored = await deSql`select count(*)::int as n from operations_log where customer_id = 'mover' and operation_type = 'MoveInObject' and compliance_info->>'stored' = 'true'`;
    expect(stored[0]!.n).toBe(8);
    expect((await deSql`select count(*)::int as n from object_metadata where customer_id = 'mover'`)[0]!.n).toBe(8);
    expect((await move("DE-FRA")).status).toBe(409);
  }, 60_000);

  it("serves every version through the global endpoint from DE-FRA, with the same bytes, ETags and version ids, on the same key", async () => {
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket: "docs" }));
    expect((listed.Versions ?? []).map((v) => [v.Key, v.VersionId]).sort()).toEqual(
      Object.entries(versions).flatMap(([k, ids]) => ids.map((id) => [k, id])).sort(),
    );
    expect((listed.DeleteMarkers ?? []).map((m) => [m.Key, m.IsLatest])).toEqual([["gone.txt", true]]);
    for (const [i, id] of versions["report.txt"]!.entries()) {
      expect(await text(client.send(new GetObjectCommand({ Bucket: "docs", Key: "report.txt", VersionId: id })))).toBe(`v${i + 1}`);
    }
    expect(await s3Outcome(client.send(new GetObjectCommand({ Bucket: "docs", Key: "gone.txt" })))).toBe("404 NoSuchKey");
    const plain = await client.send(new GetObjectCommand({ Bucket: "plain", Key: "a/b c.txt" }));
    expect(plain.Metadata).toEqual({ owner: "ops" });
    expect(await plain.Body!.transformToString()).toBe("plain bytes");
    const kms = await client.send(new GetObjectCommand({ Bucket: "plain", Key: "kms.txt" }));
    expect([kms.ServerSideEncryption, kms.SSEKMSKeyId?.endsWith(kmsKeyId)]).toEqual(["aws:kms", true]);
    expect(await kms.Body!.transformToString()).toBe("sealed under contracts");
    const big = await client.send(new GetObjectCommand({ Bucket: "plain", Key: "big.bin" }));
    expect(big.ETag).toMatch(/-2"$/);
    expect(Buffer.from(await big.Body!.transformToByteArray()).equals(Buffer.concat([bigPart, Buffer.from("tail")]))).toBe(true);
    expect(await deSql`select bucket_name, object_key, version_id, version_stamp, is_latest, etag, sha256, size_bytes, last_modified, tags, user_metadata from object_metadata where customer_id = 'mover' order by 1, 2, 3`).toEqual(before);
    // Served by DE-FRA now: a write lands there.
    await client.send(new PutObjectCommand({ Bucket: "docs", Key: "after-move.txt", Body: "in frankfurt" }));
    expect((await deSql`select count(*)::int as n from object_metadata where customer_id = 'mover' and object_key = 'after-move.txt'`)[0]!.n).toBe(1);
  });

  it("keeps rules, the GDPR request with its deadline, the hold's reason and the profile on DE-FRA", async () => {
    const [rules] = await deSql`select count(*)::int as n from compliance_rules where customer_id = 'mover'`;
    expect(rules!.n).toBeGreaterThan(0);
    const [gdpr] = await deSql`select data_subject_id, status, response_deadline from data_subject_requests where customer_id = 'mover'`;
    expect(gdpr).toMatchObject({ data_subject_id: "subject-7", status: "pending" });
    const [held] = await deSql`select legal_hold, legal_hold_reason from object_metadata where customer_id = 'mover' and object_key = 'held.txt'`;
    expect(held).toEqual({ legal_hold: true, legal_hold_reason: "litigation 2026-44" });
    const info = (await (await api(de.url, "GET", "/customers/mover/info")).json()) as { status: string; region: string; primary_contact_email: string };
    expect(info).toMatchObject({ status: "active", region: "DE-FRA", primary_contact_email: "ops@mover.example" });
  });

  it("leaves only the tombstone on FI-HEL, which refuses requests that still reach it", async () => {
    for (const table of ["object_metadata", "object_delete_markers", "buckets", "compliance_rules", "data_subject_requests", "access_keys", "object_parts"]) {
      expect((await fiSql.unsafe(`select count(*)::int as n from ${table} where customer_id = 'mover'`))[0]!.n, table).toBe(0);
    }
    expect(await filesUnder(fi.storageDir, "tenant-mover")).toEqual([]);
    expect((await fiSql`select count(*)::int as n from customer_key_versions where customer_id = 'mover' and material is not null`)[0]!.n).toBe(0);
    const [tomb] = await fiSql`select status, moved_to_region, primary_contact_email from customers where customer_id = 'mover'`;
    expect(tomb).toEqual({ status: "moved", moved_to_region: "DE-FRA", primary_contact_email: "" });
    // A stale router (or a client going around it) reaching FI-HEL is told where the customer went.
    const direct = await fetch(`${fi.url}/docs/report.txt`, { headers: { "x-customer-id": "mover" } });
    expect(direct.status).toBe(403);
    expect(await direct.text()).toMatch(/has moved to region DE-FRA/);
    expect((await api(fi.url, "POST", "/customers/mover/suspend", { reason: "x", reads: "allowed" })).status).toBe(409);
    expect((await api(fi.url, "PATCH", "/customers/mover", { customer_name: "Back Oy" })).status).toBe(409);
  });

  it("audits the move on both sides, and both chains verify", async () => {
    const steps = await fiSql`select compliance_info->>'step' as step from operations_log where customer_id = 'mover' and operation_type = 'CustomerMoveStep' and result = 'success' order by id`;
    expect(steps.map((s) => s.step)).toEqual(["fence", "snapshot", "objects", "markers", "verify", "switch", "activate", "erase"]);
    const failed = await fiSql`select compliance_info->>'step' as step from operations_log where customer_id = 'mover' and operation_type = 'CustomerMoveStep' and result = 'error'`;
    expect(failed.map((s) => s.step)).toEqual(["objects"]);
    // FI → DE: the steps that sent the customer's data are cross-border transfers; the others are not.
    const crossing = await fiSql`select compliance_info->>'step' as step from operations_log where customer_id = 'mover' and operation_type = 'CustomerMoveStep' and result = 'success' and cross_border_transfer order by id`;
    expect(crossing.map((s) => s.step)).toEqual(["snapshot", "objects", "markers"]);
    const ins = await deSql`select distinct operation_type, principal from operations_log where customer_id = 'mover' and operation_type like 'MoveIn%' and result = 'success'`;
    expect([...new Set(ins.map((r) => r.operation_type))].sort()).toEqual(["MoveInActivate", "MoveInCompare", "MoveInDeleteMarkers", "MoveInObject", "MoveInSnapshot", "MoveInVerify"]);
    expect(new Set(ins.map((r) => r.principal))).toEqual(new Set(["region:FI-HEL"]));
    for (const r of [fi, de]) {
      const v = (await (await api(r.url, "GET", "/audit/verify")).json()) as { intact: boolean };
      expect(v.intact).toBe(true);
    }
    const routed = (await (await fetch(`${router.url}/routing/customers/mover`, { headers: adminAuth })).json()) as { primary_region: string };
    expect(routed.primary_region).toBe("DE-FRA");
  });
});

describe("moving back", () => {
  it("moves the customer back to FI-HEL, where its tombstone gives way, with everything written meanwhile", async () => {
    const back = await api(de.url, "POST", "/customers/mover/move", { to_region: "FI-HEL" });
    expect(back.status).toBe(200);
    expect((await back.json()) as Record<string, unknown>).toMatchObject({ status: "completed", to_region: "FI-HEL", resumed: false });
    const routed = (await (await fetch(`${router.url}/routing/customers/mover`, { headers: adminAuth })).json()) as { primary_region: string };
    expect(routed.primary_region).toBe("FI-HEL");
    expect(await text(client.send(new GetObjectCommand({ Bucket: "docs", Key: "after-move.txt" })))).toBe("in frankfurt");
    expect(await text(client.send(new GetObjectCommand({ Bucket: "docs", Key: "report.txt", VersionId: versions["report.txt"]![1] })))).toBe("v2");
    expect(await text(client.send(new GetObjectCommand({ Bucket: "plain", Key: "kms.txt" })))).toBe("sealed under contracts");
    expect((await fiSql`select status from customers where customer_id = 'mover'`)[0]!.status).toBe("active");
    expect((await deSql`select status, moved_to_region from customers where customer_id = 'mover'`)[0]).toEqual({ status: "moved", moved_to_region: "FI-HEL" });
    expect((await deSql`select count(*)::int as n from object_metadata where customer_id = 'mover'`)[0]!.n).toBe(0);
    await client.send(new PutObjectCommand({ Bucket: "docs", Key: "home-again.txt", Body: "helsinki" }));
  }, 60_000);
});

describe("a source that changed behind the copy", () => {
  it("is caught by the manifest comparison: the target drops its copy, and the next run copies anew and completes", async () => {
    expect((await fetch(`${router.url}/routing/customers/changer?region_id=FI-HEL`, { method: "POST", headers: adminAuth })).status).toBe(201);
    expect((await api(fi.url, "POST", "/customers/changer/register", {
      customer_name: "Changer Oy", country: "Finland", data_residency_requirement: "jurisdiction", primary_contact_email: "ops@changer.example", compliance_officer_email: "dpo@changer.example",
    })).status).toBe(201);
    // Trusted-header requests straight to a region (the test router does not vouch for X-Customer-ID).
    const put = (path: string, init: RequestInit = {}, base = fi.url) => fetch(`${base}${path}`, { ...init, headers: { "x-customer-id": "changer" } });
    expect((await put("/cbox", { method: "PUT" })).status).toBe(200);
    for (const k of ["a.txt", "b.txt"]) expect((await put(`/cbox/${k}`, { method: "PUT", body: k })).status).toBe(200);
    cutAfterObjects = 1;
    objectsRelayed = 0;
    const changerMove = () => api(fi.url, "POST", "/customers/changer/move", { to_region: "DE-FRA" });
    expect((await changerMove()).status).toBe(503);
    // What the lifecycle worker (or a delete in flight at the fence) does: a version copied already is gone at the source.
    await fiSql`delete from object_metadata where customer_id = 'changer' and object_key = 'a.txt'`;
    cutAfterObjects = undefined;
    const differs = await changerMove();
    expect(differs.status).toBe(409);
    expect(((await differs.json()) as { error: { message: string } }).error.message).toMatch(/here 1 versions .* on DE-FRA 2 .*dropped its copy/);
    expect((await (await api(fi.url, "GET", "/customers/changer/move")).json()) as Record<string, unknown>).toMatchObject({ status: "failed", step: "objects", cursor: null });
    expect((await deSql`select count(*)::int as n from object_metadata where customer_id = 'changer'`)[0]!.n).toBe(0);
    const done = await changerMove();
    expect(done.status).toBe(200);
    expect((await done.json()) as Record<string, unknown>).toMatchObject({ status: "completed" });
    expect((await deSql`select object_key from object_metadata where customer_id = 'changer'`).map((r) => r.object_key)).toEqual(["b.txt"]);
    expect(await (await put("/cbox/b.txt", {}, de.url)).text()).toBe("b.txt");
  }, 60_000);
});
