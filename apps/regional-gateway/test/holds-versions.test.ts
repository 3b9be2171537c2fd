import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rerunPartialErasures } from "../src/services/gdpr/gdpr-erasure-rerun.ts";
import { runLifecycle } from "../src/services/objects/lifecycle-worker.ts";
import { gdprApi, json } from "./gdpr-helpers.ts";
import { bearer, mintToken, register, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

// Compliance-API legal holds per version (PUT/DELETE /api/holds with version_id): S3's
// legal-hold semantics, each version's hold its own; without version_id, the current version.
let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
let globex: ReturnType<typeof s3>;
let officer: string;
const ENABLE = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";

interface Hold { version_id: string; key: string; legal_hold: boolean; reason: string | null }

const holds = (method: "PUT" | "DELETE", body: Record<string, unknown>, token = officer) =>
  fetch(`${fi.url}/api/holds`, { method, headers: { "content-type": "application/json", ...bearer(token) }, body: JSON.stringify(body) });
const hold = (bucket: string, key: string, extra: Record<string, unknown> = {}) => ({ customer_id: "acme-corp", bucket, key, reason: "case 42", ...extra });

async function put(client: ReturnType<typeof s3>, path: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await client(path, { method: "PUT", body, headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.headers.get("x-amz-version-id")!;
}
const heldVersions = async (bucket: string, key: string) =>
  (await sql`select version_id from object_metadata where customer_id = 'acme-corp' and bucket_name = ${bucket} and object_key = ${key} and legal_hold order by version_id`).map((r) => r.version_id as string);

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["hist", "plain", "erase"]);
  for (const b of ["hist", "erase"]) expect((await acme(`/${b}?versioning`, { method: "PUT", body: ENABLE })).status).toBe(200);
  expect((await acme("/vault", { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
  expect((await register(fi.url, "globex")).status).toBe(201);
  globex = s3(fi.url, "globex");
  expect((await globex("/hist", { method: "PUT" })).status).toBe(200);
  await globex("/hist?versioning", { method: "PUT", body: ENABLE });
  officer = await mintToken(fi.url, "dpo", "compliance_officer");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("holds by version", () => {
  it("holds one noncurrent version only; the current and later versions stay free; lifted by the same version id", async () => {
    const v1 = await put(acme, "/hist/ledger.csv", "v1");
    const v2 = await put(acme, "/hist/ledger.csv", "v2");
    const res = await holds("PUT", hold("hist", "ledger.csv", { version_id: v1 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version_id: v1, legal_hold: true, reason: "case 42" });
    const v3 = await put(acme, "/hist/ledger.csv", "v3");
    expect(await heldVersions("hist", "ledger.csv")).toEqual([v1]);
    // S3 sees the hold on that version only.
    expect(await (await acme(`/hist/ledger.csv?versionId=${v1}`, { method: "HEAD" })).headers.get("x-amz-object-lock-legal-hold")).toBe("ON");
    expect((await acme(`/hist/ledger.csv?versionId=${v1}`, { method: "DELETE" })).status).toBe(403);
    expect((await acme(`/hist/ledger.csv?versionId=${v2}`, { method: "DELETE" })).status).toBe(204);
    expect((await acme(`/hist/ledger.csv?versionId=${v3}`, { method: "DELETE" })).status).toBe(204);

    // Lifted by the same version id, after which that version may go.
    const lifted = await holds("DELETE", hold("hist", "ledger.csv", { version_id: v1, reason: "settled" }));
    expect(lifted.status).toBe(200);
    expect(await lifted.json()).toMatchObject({ version_id: v1, legal_hold: false });
    expect((await acme(`/hist/ledger.csv?versionId=${v1}`, { method: "DELETE" })).status).toBe(204);

    const audited = await sql`select operation_type, object_key, compliance_info from operations_log where operation_type in ('PlaceLegalHold', 'LiftLegalHold') and object_key = 'ledger.csv' order by id`;
    expect(audited.map((r) => [r.operation_type, r.compliance_info.version_id, r.compliance_info.by_version_id])).toEqual([["PlaceLegalHold", v1, true], ["LiftLegalHold", v1, true]]);
    const events = await sql`select event_name, payload::text as payload from event_outbox where category = 'compliance' and payload::text like '%ledger.csv%' order by seq`;
    expect(events.map((e) => [e.event_name, JSON.parse(e.payload).subject?.version_id])).toEqual([["hold.placed", v1], ["hold.lifted", v1]]);
  });

  it("without version_id: the current version, as before; the null version by `null`", async () => {
    const old = await put(acme, "/hist/memo.txt", "old");
    const current = await put(acme, "/hist/memo.txt", "current");
    expect(await (await holds("PUT", hold("hist", "memo.txt"))).json()).toMatchObject({ version_id: current, legal_hold: true });
    expect(await heldVersions("hist", "memo.txt")).toEqual([current]);
    // Lifting the unheld old version is a conflict that names the version; the current's hold stays.
    const refused = await holds("DELETE", hold("hist", "memo.txt", { version_id: old }));
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(`hist/memo.txt version ${old} has no legal hold`);
    expect((await holds("DELETE", hold("hist", "memo.txt"))).status).toBe(200);

    await put(acme, "/plain/unversioned.txt", "x");
    expect(await (await holds("PUT", hold("plain", "unversioned.txt", { version_id: "null" }))).json()).toMatchObject({ version_id: "null", legal_hold: true });
  });

  it("refuses hostile or wrong version ids: malformed 400; another key's, a delete marker's, another customer's 404", async () => {
    const mine = await put(acme, "/hist/a.txt", "a");
    for (const bad of ["../x", "", "x".repeat(65), "NULL", 42, null, "A".repeat(31)]) {
      const res = await holds("PUT", hold("hist", "a.txt", { version_id: bad }));
      expect(res.status, String(bad)).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("version_id") });
    }
    await put(acme, "/hist/b.txt", "b");
    const notFound = await holds("PUT", hold("hist", "b.txt", { version_id: mine }));
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { message: string } }).error.message).toBe(`no version ${mine} of b.txt in bucket hist`);
    const marker = (await acme("/hist/a.txt", { method: "DELETE" })).headers.get("x-amz-version-id")!;
    expect((await holds("PUT", hold("hist", "a.txt", { version_id: marker }))).status).toBe(404);
    // globex's version of a same-named key in a same-named bucket is not acme's to name.
    const theirs = await put(globex, "/hist/a.txt", "globex");
    expect((await holds("PUT", hold("hist", "a.txt", { version_id: theirs }))).status).toBe(404);
    expect((await sql`select legal_hold from object_metadata where version_id = ${theirs}`)[0]!.legal_hold).toBe(false);
    // A customer-scoped officer of globex cannot name acme's versions at all.
    const globexOfficer = await mintToken(fi.url, "globex-dpo", "compliance_officer", "globex");
    expect((await holds("PUT", hold("hist", "a.txt", { version_id: mine }), globexOfficer)).status).toBe(403);
    expect(await heldVersions("hist", "a.txt")).toEqual([]);
  });

  it("an S3 client cannot lift a compliance-API hold on a noncurrent version", async () => {
    const v1 = await put(acme, "/vault/contract.pdf", "signed");
    await put(acme, "/vault/contract.pdf", "amended");
    expect((await holds("PUT", hold("vault", "contract.pdf", { version_id: v1 }))).status).toBe(200);
    const off = await acme(`/vault/contract.pdf?legal-hold&versionId=${v1}`, { method: "PUT", body: "<LegalHold><Status>OFF</Status></LegalHold>" });
    expect(off.status).toBe(403);
    expect(await heldVersions("vault", "contract.pdf")).toEqual([v1]);
  });

  it("lifecycle's NoncurrentVersionExpiration keeps a held noncurrent version and reports it", async () => {
    const v1 = await put(acme, "/hist/report.csv", "q1");
    const v2 = await put(acme, "/hist/report.csv", "q2");
    const v3 = await put(acme, "/hist/report.csv", "q3");
    expect((await holds("PUT", hold("hist", "report.csv", { version_id: v1, reason: "audit 2026" }))).status).toBe(200);
    for (const [v, days] of [[v1, 30], [v2, 20], [v3, 10]] as const) await sql`update object_metadata set last_modified = now() - ${`${days} days`}::interval where version_id = ${v}`;
    const config = `<LifecycleConfiguration><Rule><ID>nc</ID><Filter><Prefix>report</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule></LifecycleConfiguration>`;
    expect((await acme("/hist?lifecycle", { method: "PUT", body: config })).status).toBe(200);
    const report = await runLifecycle(fi.deps, new Date());
    expect(report.kept).toEqual(expect.arrayContaining([{ bucket: "hist", key: "report.csv", versionId: v1, reason: "legal hold: audit 2026" }]));
    const left = (await sql`select version_id from object_metadata where bucket_name = 'hist' and object_key = 'report.csv' and customer_id = 'acme-corp'`).map((r) => r.version_id);
    expect(left.sort()).toEqual([v1, v3].sort());
  });

  it("GDPR erasure keeps a held noncurrent version open and erases it once that version's hold is lifted", async () => {
    const api = gdprApi(fi.url);
    const subject = { "x-amz-meta-data-subject-id": "olga" };
    const v1 = await put(acme, "/erase/cv.pdf", "cv 1", subject);
    const v2 = await put(acme, "/erase/cv.pdf", "cv 2", subject);
    expect((await holds("PUT", hold("erase", "cv.pdf", { version_id: v1, reason: "litigation" }))).status).toBe(200);
    const dsr = await json(await api(officer, "POST", "/requests", { customer_id: "acme-corp", data_subject_id: "olga", request_type: "erasure" }), 201);
    const first = await json(await api(officer, "POST", `/requests/${dsr.request_id}/execute`), 200);
    expect(first.status).toBe("in_progress");
    expect(first.result!.kept).toEqual([{ bucket: "erase", key: "cv.pdf", version_id: v1, reason: "legal hold: litigation" }]);
    expect((first.result!.erased as { version_id: string }[]).map((e) => e.version_id)).toEqual([v2]);
    expect(await rerunPartialErasures(fi.deps)).toEqual({ rerun: 0, completed: 0 });

    expect((await holds("DELETE", hold("erase", "cv.pdf", { version_id: v1, reason: "case closed" }))).status).toBe(200);
    expect(await rerunPartialErasures(fi.deps)).toEqual({ rerun: 1, completed: 1 });
    expect((await sql`select count(*)::int as n from object_metadata where bucket_name = 'erase' and object_key = 'cv.pdf'`)[0]!.n).toBe(0);
  });
});
