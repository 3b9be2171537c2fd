import { randomBytes } from "node:crypto";
import { access } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gdprApi, json, type Dsr } from "./gdpr-helpers.ts";
import { bearer, mintToken, register, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let de: TestRegion;
let sql: postgres.Sql;
let api: ReturnType<typeof gdprApi>;
let acme: ReturnType<typeof s3>;
const t: Record<string, string> = {};

interface ExportFile {
  format: string;
  request_id: string;
  data_subject_id: string;
  customer_id: string;
  region: string;
  generated_at: string;
  content: { included: boolean; note?: string };
  objects: Record<string, any>[];
  operations_log: Record<string, any>[];
  totals: { objects: number; operations_log_entries: number; content_bytes_embedded: number };
}

async function put(bucket: string, key: string, body: string | Buffer, subject?: string) {
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (subject) headers["x-amz-meta-data-subject-id"] = subject;
  const res = await acme(`/${bucket}/${key}`, { method: "PUT", body, headers });
  expect(res.status, await res.text()).toBe(200);
}

const storageKey = async (bucket: string, key: string) =>
  ((await sql`select storage_key from object_metadata where bucket_name = ${bucket} and object_key = ${key}`)[0]?.storage_key as string | undefined);
const fileExists = (key: string) => access(join(de.storageDir, key)).then(() => true, () => false);

async function newRequest(subject: string, type: string): Promise<Dsr> {
  return json(await api(t.officer!, "POST", "/requests", { customer_id: "acme-corp", data_subject_id: subject, request_type: type }), 201);
}
const execute = async (id: string) => json(await api(t.officer!, "POST", `/requests/${id}/execute`), 200);

async function download(id: string, token = t.officer!): Promise<ExportFile> {
  const res = await fetch(`${de.url}/api/gdpr/requests/${id}/export`, { headers: bearer(token) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(res.headers.get("content-disposition")).toBe(`attachment; filename="dsr-${id}.json"`);
  return JSON.parse(await res.text()) as ExportFile;
}

beforeAll(async () => {
  de = await startTestRegion("DE-FRA");
  sql = postgresClient(de.databaseUrl, { max: 1 });
  api = gdprApi(de.url);
  acme = await registerWithBuckets(de.url, "acme-corp", ["records", "scans"], { country: "Germany" });
  expect((await register(de.url, "globex", { customer_name: "Globex", country: "Germany" })).status).toBe(201);
  t.officer = await mintToken(de.url, "dpo", "compliance_officer");
  t.auditor = await mintToken(de.url, "auditor", "auditor");
  t.globexOfficer = await mintToken(de.url, "globex dpo", "compliance_officer", "globex");
});
afterAll(async () => {
  await sql?.end();
  await de?.destroy();
});

describe("access (Art. 15)", () => {
  it("exports the subject's objects and their operations-log entries, and nobody else's", async () => {
    await put("records", "alice/profile.json", '{"name":"Alice"}', "alice");
    await put("scans", "alice-id.png", "PNGDATA", "alice");
    await put("records", "bob/profile.json", '{"name":"Bob"}', "bob");
    await put("records", "unlinked.txt", "no subject");
    expect((await acme("/records/alice/profile.json")).status).toBe(200);
    expect((await acme("/records/bob/profile.json")).status).toBe(200);

    const dsr = await newRequest("alice", "access");
    expect((await fetch(`${de.url}/api/gdpr/requests/${dsr.request_id}/export`, { headers: bearer(t.officer!) })).status).toBe(409);
    const done = await execute(dsr.request_id);
    expect(done).toMatchObject({ status: "completed", deadline_state: null });
    expect(done.completed_at).not.toBeNull();
    expect(done.result!.export).toMatchObject({ objects: 2, operations_log_entries: 3, content_included: false, download: `/api/gdpr/requests/${dsr.request_id}/export` });
    expect(done.affected_objects.map((o) => `${o.bucket}/${o.key}`)).toEqual(["records/alice/profile.json", "scans/alice-id.png"]);
    expect((await api(t.officer!, "POST", `/requests/${dsr.request_id}/execute`)).status).toBe(409);

    // Auditors see the request and its trail, never the personal data it exports (separation of duties).
    const denied = await fetch(`${de.url}/api/gdpr/requests/${dsr.request_id}/export`, { headers: bearer(t.auditor!) });
    expect(denied.status).toBe(403);
    expect(await denied.text()).not.toContain("alice");

    const file = await download(dsr.request_id);
    expect(file).toMatchObject({ format: "s3gw-dsr-export/1", request_id: dsr.request_id, data_subject_id: "alice", customer_id: "acme-corp", region: "DE-FRA" });
    expect(file.objects.map((o) => `${o.bucket}/${o.key}`)).toEqual(["records/alice/profile.json", "scans/alice-id.png"]);
    expect(file.objects[0]).toMatchObject({
      size: 16,
      content_type: "application/octet-stream",
      user_metadata: { "data-subject-id": "alice" },
      compliance_status: "compliant",
      legal_hold: { on: false },
      processing_restricted: false,
      storage: { region: "DE-FRA", country: "DE" },
    });
    expect(file.objects[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(file.objects[0]).not.toHaveProperty("content_base64");
    const entries = file.operations_log.map((e) => `${e.operation} ${e.bucket}/${e.key}`);
    expect(entries).toEqual(["PutObject records/alice/profile.json", "PutObject scans/alice-id.png", "GetObject records/alice/profile.json"]);
    expect(file.operations_log.every((e) => e.result === "success" && typeof e.id === "number")).toBe(true);
    expect(JSON.stringify(file)).not.toContain("bob");
    expect(JSON.stringify(file)).not.toContain("unlinked");
    expect(file.totals).toEqual({ objects: 2, operations_log_entries: 3, content_bytes_embedded: 0 });

    // Another customer's token cannot see the request or its export; the download itself is audited.
    expect((await fetch(`${de.url}/api/gdpr/requests/${dsr.request_id}/export`, { headers: bearer(t.globexOfficer!) })).status).toBe(404);
    const [exec] = await sql`select compliance_info from operations_log where operation_type = 'ExecuteDataSubjectRequest' and compliance_info->>'request_id' = ${dsr.request_id}`;
    expect(exec!.compliance_info).toEqual({ request_id: dsr.request_id, request_type: "access", objects: 2, operations_log_entries: 3 });
    const exports = await sql`select status_code, result from operations_log where operation_type = 'ExportDataSubjectData' and compliance_info->>'request_id' = ${dsr.request_id} order by id`;
    expect(exports).toEqual([
      { status_code: 409, result: "error" },
      { status_code: 200, result: "success" },
      { status_code: 404, result: "error" },
    ]);
  });

  it("pages through many objects and log entries, each exactly once", async () => {
    for (let i = 0; i < 205; i++) await put("records", `carol/${String(i).padStart(3, "0")}.txt`, `c${i}`, "carol");
    const dsr = await newRequest("carol", "access");
    const done = await execute(dsr.request_id);
    expect(done.result!.export).toMatchObject({ objects: 205, operations_log_entries: 205 });
    const file = await download(dsr.request_id);
    expect(file.objects.map((o) => o.key)).toEqual(Array.from({ length: 205 }, (_, i) => `carol/${String(i).padStart(3, "0")}.txt`));
    expect(new Set(file.operations_log.map((e) => e.id)).size).toBe(205);
    expect(file.totals).toMatchObject({ objects: 205, operations_log_entries: 205 });
  });
});

describe("portability (Art. 20)", () => {
  it("embeds each object's bytes, base64-encoded, when the total is small", async () => {
    const binary = randomBytes(200_001);
    await put("scans", "dora/scan.bin", binary, "dora");
    await put("records", "dora/note.txt", "hello dora", "dora");
    const dsr = await newRequest("dora", "portability");
    const done = await execute(dsr.request_id);
    expect(done.result!.export).toMatchObject({ objects: 2, content_included: true, total_bytes: 200_011 });
    expect((await fetch(`${de.url}/api/gdpr/requests/${dsr.request_id}/export`, { headers: bearer(t.auditor!) })).status).toBe(403);
    const file = await download(dsr.request_id);
    expect(file.content).toMatchObject({ included: true });
    const byKey = Object.fromEntries(file.objects.map((o) => [o.key, o]));
    expect(Buffer.from(byKey["dora/scan.bin"]!.content_base64, "base64").equals(binary)).toBe(true);
    expect(Buffer.from(byKey["dora/note.txt"]!.content_base64, "base64").toString()).toBe("hello dora");
    expect(file.totals.content_bytes_embedded).toBe(200_011);
  });
});

describe("erasure (Art. 17)", () => {
  it("erases objects and bytes, keeps those under legal hold or retention with the reason, and records both", async () => {
    await put("records", "evan/a.txt", "erase me", "evan");
    await put("scans", "evan/b.png", "erase me too", "evan");
    await put("records", "evan/held.txt", "evidence", "evan");
    await put("records", "evan/retained.txt", "kept for tax law", "evan");
    await put("records", "frank/a.txt", "other subject", "frank");
    await sql`update object_metadata set legal_hold = true, legal_hold_reason = 'litigation' where object_key = 'evan/held.txt'`;
    await sql`update object_metadata set retention_mode = 'COMPLIANCE', retention_until = now() + interval '30 days' where object_key = 'evan/retained.txt'`;
    const keys = {
      a: (await storageKey("records", "evan/a.txt"))!,
      b: (await storageKey("scans", "evan/b.png"))!,
      held: (await storageKey("records", "evan/held.txt"))!,
      retained: (await storageKey("records", "evan/retained.txt"))!,
      frank: (await storageKey("records", "frank/a.txt"))!,
    };
    for (const k of Object.values(keys)) expect(await fileExists(k)).toBe(true);

    const dsr = await newRequest("evan", "erasure");
    const done = await execute(dsr.request_id);
    // Protected versions remain: the request stays open, to be run again when the protections end.
    expect(done.status).toBe("in_progress");
    expect(done.result!.outcome).toBe("partial");
    expect(done.result!.erased).toEqual([
      { bucket: "records", key: "evan/a.txt", version_id: "null", sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: 8 },
      { bucket: "scans", key: "evan/b.png", version_id: "null", sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: 12 },
    ]);
    expect(done.result!.kept).toEqual([
      { bucket: "records", key: "evan/held.txt", version_id: "null", reason: "legal hold: litigation" },
      { bucket: "records", key: "evan/retained.txt", version_id: "null", reason: expect.stringMatching(/^COMPLIANCE retention until /) },
    ]);
    expect(done.result!.bytes_erased).toBe(20);
    expect(done.affected_objects).toEqual([
      { bucket: "records", key: "evan/a.txt", version_id: "null", action: "erased" },
      { bucket: "scans", key: "evan/b.png", version_id: "null", action: "erased" },
      { bucket: "records", key: "evan/held.txt", version_id: "null", action: "kept", reason: "legal hold: litigation" },
      { bucket: "records", key: "evan/retained.txt", version_id: "null", action: "kept", reason: expect.stringMatching(/^COMPLIANCE retention/) },
    ]);

    expect(await fileExists(keys.a)).toBe(false);
    expect(await fileExists(keys.b)).toBe(false);
    expect(await fileExists(keys.held)).toBe(true);
    expect(await fileExists(keys.retained)).toBe(true);
    expect(await fileExists(keys.frank)).toBe(true);
    expect((await acme("/records/evan/a.txt")).status).toBe(404);
    expect((await acme("/scans/evan/b.png")).status).toBe(404);
    expect(await (await acme("/records/evan/held.txt")).text()).toBe("evidence");
    expect(await (await acme("/records/frank/a.txt")).text()).toBe("other subject");
    const left = await sql`select object_key from object_metadata where data_subject_id = 'evan' order by object_key`;
    expect(left.map((r) => r.object_key)).toEqual(["evan/held.txt", "evan/retained.txt"]);

    // The request row says the same, the audit row counts it, and the hash chain is untouched.
    const [row] = await sql`select status, result, completed_at from data_subject_requests where request_id = ${dsr.request_id}`;
    expect(row).toMatchObject({ status: "in_progress", completed_at: null, result: { outcome: "partial", erased: done.result!.erased, kept: done.result!.kept } });
    const [exec] = await sql`select compliance_info from operations_log where operation_type = 'ExecuteDataSubjectRequest' and result = 'success' and compliance_info->>'request_id' = ${dsr.request_id}`;
    expect(exec!.compliance_info).toMatchObject({ request_type: "erasure", erased: 2, kept: 2, byte_deletes_failed: 0 });
    expect((await sql`select count(*)::int as n from operations_log where object_key = 'evan/a.txt'`)[0]!.n).toBeGreaterThan(0);
    const verify = await json<{ intact: boolean }>(await fetch(`${de.url}/api/audit/verify`, { headers: bearer(t.auditor!) }), 200);
    expect(verify.intact).toBe(true);

    // Once the hold is lifted and the retention ends, running it again erases the rest and closes it.
    await sql`update object_metadata set legal_hold = false where object_key = 'evan/held.txt'`;
    await sql`update object_metadata set retention_until = now() - interval '1 second' where object_key = 'evan/retained.txt'`;
    const again = await execute(dsr.request_id);
    expect(again.status).toBe("completed");
    expect(again.result).toMatchObject({ outcome: "complete", kept: [], runs: 2, bytes_erased: 20 + 8 + 16 });
    expect((again.result!.erased as { key: string }[]).map((e) => e.key)).toEqual(["evan/a.txt", "evan/b.png", "evan/held.txt", "evan/retained.txt"]);
    expect(await fileExists(keys.held)).toBe(false);
    expect(await fileExists(keys.retained)).toBe(false);
    expect((await api(t.officer!, "POST", `/requests/${dsr.request_id}/execute`)).status).toBe(409);
  });

  it("reports a complete erasure when nothing is protected", async () => {
    await put("records", "gina/only.txt", "x", "gina");
    const done = await execute((await newRequest("gina", "erasure")).request_id);
    expect(done.result).toMatchObject({ outcome: "complete", kept: [], erased: [{ key: "gina/only.txt" }] });
  });
});

describe("restriction (Art. 18)", () => {
  const code = async (res: Response) => (await res.text()).match(/<Code>([^<]+)<\/Code>/)?.[1];

  it("refuses ordinary reads of the subject's objects until lifted", async () => {
    await put("records", "hugo/cv.pdf", "CV", "hugo");
    await put("scans", "hugo/photo.png", "PHOTO", "hugo");
    await put("records", "ida/cv.pdf", "IDA", "ida");
    expect((await acme("/records/hugo/cv.pdf")).status).toBe(200);

    const dsr = await newRequest("hugo", "restriction");
    expect((await api(t.officer!, "POST", `/requests/${dsr.request_id}/lift`)).status).toBe(409);
    const done = await execute(dsr.request_id);
    expect(done.status).toBe("completed");
    const restricted = (done.result!.restricted as { bucket: string; key: string }[]).map((o) => `${o.bucket}/${o.key}`).sort();
    expect(restricted).toEqual(["records/hugo/cv.pdf", "scans/hugo/photo.png"]);

    const get = await acme("/records/hugo/cv.pdf");
    expect(get.status).toBe(403);
    expect(await code(get)).toBe("AccessDenied");
    expect((await acme("/scans/hugo/photo.png")).status).toBe(403);
    expect((await acme("/scans/hugo/photo.png", { method: "HEAD" })).status).toBe(403);
    expect(await (await acme("/records/ida/cv.pdf")).text()).toBe("IDA");
    expect((await api(t.officer!, "POST", `/requests/${dsr.request_id}/execute`)).status).toBe(409);

    // A second restriction of the same subject keeps the objects restricted when the first is lifted.
    const second = await newRequest("hugo", "restriction");
    await execute(second.request_id);
    const lifted = await json(await api(t.officer!, "POST", `/requests/${dsr.request_id}/lift`), 200);
    expect(lifted.result!.lifted).toMatchObject({ objects: [], still_restricted_by_other_requests: 2 });
    expect((await acme("/records/hugo/cv.pdf")).status).toBe(403);
    expect((await api(t.officer!, "POST", `/requests/${dsr.request_id}/lift`)).status).toBe(409);

    const liftedAll = await json(await api(t.officer!, "POST", `/requests/${second.request_id}/lift`), 200);
    expect(liftedAll.status).toBe("completed");
    expect(liftedAll.result!.lifted.objects).toHaveLength(2);
    expect(await (await acme("/records/hugo/cv.pdf")).text()).toBe("CV");
    expect(await (await acme("/scans/hugo/photo.png")).text()).toBe("PHOTO");
    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'LiftProcessingRestriction' and status_code = 200 and compliance_info->>'request_id' = ${second.request_id}`;
    expect(logged!.compliance_info).toMatchObject({ lifted: 2 });
  });

  it("lifts only restriction requests, and auditors cannot lift", async () => {
    const access = await newRequest("hugo", "access");
    expect((await api(t.officer!, "POST", `/requests/${access.request_id}/lift`)).status).toBe(400);
    const r = await newRequest("ida", "restriction");
    await execute(r.request_id);
    expect((await api(t.auditor!, "POST", `/requests/${r.request_id}/lift`)).status).toBe(403);
    expect((await acme("/records/ida/cv.pdf")).status).toBe(403);
    await json(await api(t.officer!, "POST", `/requests/${r.request_id}/lift`), 200);
    expect((await acme("/records/ida/cv.pdf")).status).toBe(200);
  });
});
