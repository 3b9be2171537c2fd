import { access } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rerunPartialErasures } from "../src/services/gdpr/gdpr-erasure-rerun.ts";
import { raiseDeadlineAlerts } from "../src/services/gdpr/gdpr-deadlines.ts";
import { gdprApi, json } from "./gdpr-helpers.ts";
import { mintToken, register, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let de: TestRegion;
let sql: postgres.Sql;
let api: ReturnType<typeof gdprApi>;
let acme: ReturnType<typeof s3>;
let globex: ReturnType<typeof s3>;
let officer: string;
const DAY = 86_400_000;

async function put(client: ReturnType<typeof s3>, path: string, body: string, subject?: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await client(path, { method: "PUT", body, headers: { ...(subject ? { "x-amz-meta-data-subject-id": subject } : {}), ...headers } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.headers.get("x-amz-version-id")!;
}
const newRequest = async (customer: string, subject: string, type = "erasure") =>
  json(await api(officer, "POST", "/requests", { customer_id: customer, data_subject_id: subject, request_type: type }), 201);
const execute = async (id: string) => json(await api(officer, "POST", `/requests/${id}/execute`), 200);
const storageKeys = async (bucket: string, key: string) =>
  (await sql`select storage_key from object_metadata where bucket_name = ${bucket} and object_key = ${key}`).map((r) => r.storage_key as string);
const exists = (k: string) => access(join(de.storageDir, k)).then(() => true, () => false);
const versionsXml = async (client: ReturnType<typeof s3>, bucket: string) => (await client(`/${bucket}?versions`)).text();

beforeAll(async () => {
  de = await startTestRegion("DE-FRA");
  sql = postgresClient(de.databaseUrl, { max: 1 });
  api = gdprApi(de.url);
  acme = await registerWithBuckets(de.url, "acme-corp", [], { country: "Germany" });
  expect((await acme("/vault", { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
  expect((await acme("/shared", { method: "PUT" })).status).toBe(200);
  await acme("/shared?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" });
  expect((await register(de.url, "globex", { customer_name: "Globex", country: "Germany" })).status).toBe(201);
  globex = s3(de.url, "globex");
  expect((await globex("/vault", { method: "PUT" })).status).toBe(200);
  officer = await mintToken(de.url, "dpo", "compliance_officer");
});
afterAll(async () => {
  await sql?.end();
  await de?.destroy();
});

describe("erasure across versions", () => {
  it("removes every unprotected version and the delete markers, keeps protected versions open, and finishes when they end", async () => {
    const old = await put(acme, "/vault/cv.pdf", "cv v1", "erin");
    const held = await put(acme, "/vault/cv.pdf", "cv v2", "erin", { "x-amz-object-lock-legal-hold": "ON" });
    const latest = await put(acme, "/vault/cv.pdf", "cv v3", "erin");
    expect((await acme("/vault/cv.pdf", { method: "DELETE" })).headers.get("x-amz-delete-marker")).toBe("true");
    await put(acme, "/vault/photo.png", "photo", "erin");
    expect((await acme("/vault/photo.png", { method: "DELETE" })).status).toBe(204);
    await put(acme, "/vault/other.txt", "someone else", "frank");
    await put(globex, "/vault/cv.pdf", "globex's erin", "erin");
    const bytes = await storageKeys("vault", "cv.pdf");
    expect(bytes).toHaveLength(4);

    const dsr = await newRequest("acme-corp", "erin");
    const first = await execute(dsr.request_id);
    expect(first.status).toBe("in_progress");
    expect(first.result).toMatchObject({ outcome: "partial", delete_markers_removed: 1, runs: 1 });
    expect(first.result!.kept).toEqual([{ bucket: "vault", key: "cv.pdf", version_id: held, reason: "legal hold" }]);
    const erased = (first.result!.erased as { key: string; version_id: string }[]).map((e) => `${e.key}@${e.version_id}`);
    expect(erased).toHaveLength(3);
    expect(erased).toEqual(expect.arrayContaining([`cv.pdf@${old}`, `cv.pdf@${latest}`, expect.stringMatching(/^photo\.png@/)]));
    const listing = await versionsXml(acme, "vault");
    expect(listing).toContain(`<VersionId>${held}</VersionId>`);
    expect(listing).not.toContain(`<VersionId>${old}</VersionId>`);
    expect(listing).not.toContain("photo.png");
    // cv.pdf keeps a version, so its marker stays (it still hides that version); photo.png's went with its last version.
    expect(listing.match(/<DeleteMarker>/g)?.length ?? 0).toBe(1);
    expect(listing).toContain("other.txt");
    expect(await (await globex("/vault/cv.pdf")).text()).toBe("globex's erin");
    const stillThere = await Promise.all(bytes.map(exists));
    expect(stillThere.filter(Boolean)).toHaveLength(2); // the held version's and globex's

    // Waiting on a hold is not a late answer.
    await sql`update data_subject_requests set response_deadline = now() - interval '1 day' where request_id = ${dsr.request_id}`;
    await raiseDeadlineAlerts(de.deps);
    const [alerts] = await sql`select count(*)::int as n from compliance_events where details->>'request_id' = ${dsr.request_id}`;
    expect(alerts!.n).toBe(0);

    // Nothing erasable yet: the periodic re-run leaves the request alone.
    expect(await rerunPartialErasures(de.deps)).toEqual({ rerun: 0, completed: 0 });
    // The hold is lifted: the re-run erases the last version and the marker, and closes the request.
    expect((await acme(`/vault/cv.pdf?legal-hold&versionId=${held}`, { method: "PUT", body: "<LegalHold><Status>OFF</Status></LegalHold>" })).status).toBe(200);
    expect(await rerunPartialErasures(de.deps)).toEqual({ rerun: 1, completed: 1 });
    const [row] = await sql`select status, result from data_subject_requests where request_id = ${dsr.request_id}`;
    expect(row).toMatchObject({ status: "completed", result: { outcome: "complete", runs: 2, delete_markers_removed: 2, kept: [] } });
    expect(await versionsXml(acme, "vault")).not.toContain("cv.pdf");
    expect((await Promise.all(bytes.map(exists))).filter(Boolean)).toHaveLength(1);
    const [audit] = await sql`select principal, compliance_info from operations_log where operation_type = 'ExecuteDataSubjectRequest' and principal = 'gdpr-erasure-rerun'`;
    expect(audit!.compliance_info).toMatchObject({ request_id: dsr.request_id, erased: 1, kept: 0, status: "completed" });
    expect(await rerunPartialErasures(de.deps)).toEqual({ rerun: 0, completed: 0 });
  });

  it("erasing the subject's latest version brings back the newest version of someone else, and keeps its marker history", async () => {
    const mine = await put(acme, "/shared/form.txt", "general form");
    const subjects = await put(acme, "/shared/form.txt", "filled in by gus", "gus");
    const done = await execute((await newRequest("acme-corp", "gus")).request_id);
    expect(done.status).toBe("completed");
    expect(done.result!.erased).toEqual([expect.objectContaining({ key: "form.txt", version_id: subjects })]);
    const now = await acme("/shared/form.txt");
    expect(await now.text()).toBe("general form");
    expect(now.headers.get("x-amz-version-id")).toBe(mine);
  });

  it("a retention that expires makes the re-run erase the version", async () => {
    const v = await put(acme, "/vault/tax.pdf", "tax", "hana", { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": new Date(Date.now() + DAY).toISOString() });
    const dsr = await newRequest("acme-corp", "hana");
    const first = await execute(dsr.request_id);
    expect(first.result!.kept).toEqual([{ bucket: "vault", key: "tax.pdf", version_id: v, reason: expect.stringMatching(/^GOVERNANCE retention until /) }]);
    await sql`update object_metadata set retention_until = now() - interval '1 second' where version_id = ${v}`;
    expect(await rerunPartialErasures(de.deps)).toEqual({ rerun: 1, completed: 1 });
  });

  it("access exports list every version of the subject's objects", async () => {
    const a = await put(acme, "/shared/letter.txt", "draft", "ivy");
    const b = await put(acme, "/shared/letter.txt", "final", "ivy");
    const done = await execute((await newRequest("acme-corp", "ivy", "access")).request_id);
    expect(done.result!.export).toMatchObject({ objects: 2 });
    expect(done.affected_objects.map((o) => o.version_id).sort()).toEqual([a, b].sort());
    const file = (await (await fetch(`${de.url}/api/gdpr/requests/${done.request_id}/export`, { headers: { authorization: `Bearer ${officer}` } })).json()) as { objects: { version_id: string; is_latest: boolean }[] };
    expect(file.objects.map((o) => [o.version_id, o.is_latest]).sort()).toEqual([[a, false], [b, true]].sort());
  });
});
