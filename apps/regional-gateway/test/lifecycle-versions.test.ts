import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLifecycle } from "../src/services/objects/lifecycle-worker.ts";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
const DAY = 86_400_000;
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const lifecycle = (...rules: string[]) => `<LifecycleConfiguration ${NS}>${rules.join("")}</LifecycleConfiguration>`;
const rule = (id: string, actions: string, filter = "<Filter><Prefix></Prefix></Filter>") => `<Rule><ID>${id}</ID>${filter}<Status>Enabled</Status>${actions}</Rule>`;
const noncurrent = (days: number, newer?: number) =>
  `<NoncurrentVersionExpiration><NoncurrentDays>${days}</NoncurrentDays>${newer === undefined ? "" : `<NewerNoncurrentVersions>${newer}</NewerNoncurrentVersions>`}</NoncurrentVersionExpiration>`;
const code = async (res: Response) => (await res.text()).match(/<Code>([^<]+)<\/Code>/)?.[1];

async function put(path: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await acme(path, { method: "PUT", body, headers });
  expect(res.status).toBe(200);
  return res.headers.get("x-amz-version-id")!;
}
async function putConfig(bucket: string, body: string) {
  const res = await acme(`/${bucket}?lifecycle`, { method: "PUT", body });
  expect(res.status, await res.clone().text()).toBe(200);
}
/** Moves a version's write (and so when its successor made it noncurrent) into the past. */
const age = (versionId: string, days: number) => sql`update object_metadata set last_modified = now() - ${`${days} days`}::interval where version_id = ${versionId}`;
const ageMarkers = (key: string, days: number) => sql`update object_delete_markers set last_modified = now() - ${`${days} days`}::interval where object_key = ${key}`;
const versionIds = async (bucket: string, key: string) =>
  (await sql`select version_id from object_metadata where bucket_name = ${bucket} and object_key = ${key} order by version_stamp desc`).map((r) => r.version_id as string);
const markerCount = async (bucket: string, key: string) =>
  (await sql`select count(*)::int as n from object_delete_markers where bucket_name = ${bucket} and object_key = ${key}`)[0]!.n as number;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["hist", "current", "markers", "plain"]);
  for (const b of ["hist", "current", "markers"]) {
    await acme(`/${b}?versioning`, { method: "PUT", body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" });
  }
  expect((await acme("/locked", { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("lifecycle rules for versions", () => {
  it("validates and round-trips NoncurrentVersionExpiration and ExpiredObjectDeleteMarker", async () => {
    const doc = lifecycle(rule("nc", noncurrent(30, 2)), rule("dm", "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>", "<Filter><Prefix>logs/</Prefix></Filter>"));
    await putConfig("plain", doc);
    const got = await (await acme("/plain?lifecycle")).text();
    expect(got).toContain("<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>");
    expect(got).toContain("<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>");
    const bad: [string, string][] = [
      [rule("a", "<Expiration><Days>3</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"), "MalformedXML"],
      [rule("a", noncurrent(0)), "InvalidArgument"],
      [rule("a", noncurrent(3, 101)), "InvalidArgument"],
      [rule("a", "<NoncurrentVersionExpiration><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>"), "MalformedXML"],
      [rule("a", "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>", "<Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter>"), "InvalidRequest"],
      [rule("a", "<Expiration><ExpiredObjectDeleteMarker>maybe</ExpiredObjectDeleteMarker></Expiration>"), "MalformedXML"],
    ];
    for (const [r, expected] of bad) {
      const res = await acme("/plain?lifecycle", { method: "PUT", body: lifecycle(r) });
      expect(res.status, r).toBe(400);
      expect(await code(res), r).toBe(expected);
    }
  });

  it("expires noncurrent versions NoncurrentDays after they became noncurrent, keeping the NewerNoncurrentVersions newest", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await put("/hist/doc", `v${i}`));
    // Date the writes back: v0 50 days, v1 40, v2 35, v3 30, v4 3.
    await age(ids[0]!, 50);
    await age(ids[1]!, 40);
    await age(ids[2]!, 35);
    await age(ids[3]!, 30);
    await age(ids[4]!, 3);
    await put("/hist/young", "only version");
    await putConfig("hist", lifecycle(rule("nc", noncurrent(20, 1))));
    const report = await runLifecycle(fi.deps, new Date());
    // A version is noncurrent since its successor was written: v3 since 3 days (and the newest noncurrent one, kept by
    // NewerNoncurrentVersions=1), v2, v1 and v0 since 30, 35 and 40 days: those three go.
    expect(report.noncurrentExpired).toBe(3);
    expect(await versionIds("hist", "doc")).toEqual([ids[4], ids[3]]);
    expect(await (await acme("/hist/doc")).text()).toBe("v4");
    expect(await versionIds("hist", "young")).toHaveLength(1);
    const audit = await sql`select compliance_info from operations_log where operation_type = 'LifecycleNoncurrentExpiration' order by id`;
    expect(audit.map((r) => r.compliance_info.version_id).sort()).toEqual([ids[0], ids[1], ids[2]].sort());
  });

  it("Expiration Days on a versioned bucket puts the current version behind a marker; later the marker alone is removed", async () => {
    const v = await put("/current/report.csv", "q1");
    await age(v, 10);
    await put("/current/fresh.csv", "new");
    await putConfig("current", lifecycle(rule("exp", "<Expiration><Days>5</Days></Expiration>"), rule("nc", noncurrent(1))));
    const first = await runLifecycle(fi.deps, new Date());
    expect(first.expired).toBe(1);
    const gone = await acme("/current/report.csv");
    expect(gone.status).toBe(404);
    expect(gone.headers.get("x-amz-delete-marker")).toBe("true");
    expect(await versionIds("current", "report.csv")).toEqual([v]);
    expect(await (await acme("/current/fresh.csv")).text()).toBe("new");
    // Two days on the version has been noncurrent for two days: it goes; the marker then hides nothing.
    const second = await runLifecycle(fi.deps, new Date(Date.now() + 2 * DAY));
    expect(second.noncurrentExpired).toBe(1);
    expect(await versionIds("current", "report.csv")).toEqual([]);
    expect(await markerCount("current", "report.csv")).toBe(1);
  });

  it("ExpiredObjectDeleteMarker removes only markers with no version behind them", async () => {
    await put("/markers/lonely", "x");
    const [v] = await versionIds("markers", "lonely");
    await acme(`/markers/lonely?versionId=${v}`, { method: "DELETE" });
    await acme("/markers/lonely", { method: "DELETE" }); // a marker on a key with no versions at all
    await put("/markers/hidden", "still here");
    await acme("/markers/hidden", { method: "DELETE" });
    await ageMarkers("lonely", 1);
    await putConfig("markers", lifecycle(rule("dm", "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>")));
    const report = await runLifecycle(fi.deps, new Date());
    expect(report.markersRemoved).toBe(1);
    expect(await markerCount("markers", "lonely")).toBe(0);
    expect(await markerCount("markers", "hidden")).toBe(1);
    expect(await versionIds("markers", "hidden")).toHaveLength(1);
    const [audit] = await sql`select object_key from operations_log where operation_type = 'LifecycleDeleteMarkerExpiration'`;
    expect(audit!.object_key).toBe("lonely");
  });

  it("never removes a noncurrent version under retention or hold: it is kept and reported", async () => {
    const held = await put("/locked/contract", "signed", { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": new Date(Date.now() + 30 * DAY).toISOString() });
    await put("/locked/contract", "amended");
    await age(held, 20);
    await sql`update object_metadata set last_modified = now() - interval '10 days' where bucket_name = 'locked' and object_key = 'contract' and is_latest`;
    await putConfig("locked", lifecycle(rule("nc", noncurrent(1))));
    const report = await runLifecycle(fi.deps, new Date());
    expect(report.noncurrentExpired).toBe(0);
    expect(report.kept).toEqual(expect.arrayContaining([{ bucket: "locked", key: "contract", versionId: held, reason: expect.stringMatching(/^GOVERNANCE retention until /) }]));
    expect(await versionIds("locked", "contract")).toHaveLength(2);
  });
});
