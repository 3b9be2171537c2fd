import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, bearer, mintToken, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
const DAY = 86_400_000;
const asAdmin = { "x-amz-bypass-governance-retention": "true", ...bearer(ADMIN_TOKEN) };
const inDays = (n: number) => new Date(Date.now() + n * DAY);
const code = async (res: Response) => (await res.text()).match(/<Code>([^<]+)<\/Code>/)?.[1];
const lockConfig = (rule = "", enabled = "Enabled") =>
  `<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>${enabled}</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;
const rule = (inner: string) => `<Rule><DefaultRetention>${inner}</DefaultRetention></Rule>`;
const retentionXml = (mode: string, until: Date) =>
  `<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>${mode}</Mode><RetainUntilDate>${until.toISOString()}</RetainUntilDate></Retention>`;
const lockHeaders = (mode: string, until: Date) => ({ "x-amz-object-lock-mode": mode, "x-amz-object-lock-retain-until-date": until.toISOString() });

async function put(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await acme(path, { method: "PUT", body, headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.headers.get("x-amz-version-id")!;
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["plain", "later"]);
  for (const b of ["locked", "defaults"]) {
    expect((await acme(`/${b}`, { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
  }
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("object lock configuration", () => {
  it("a bucket created with object lock is versioned for good and reports its configuration", async () => {
    expect(await (await acme("/locked?versioning")).text()).toContain("<Status>Enabled</Status>");
    const suspend = await acme("/locked?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>" });
    expect(suspend.status).toBe(409);
    expect(await code(suspend)).toBe("InvalidBucketState");
    const got = await (await acme("/locked?object-lock")).text();
    expect(got).toContain("<ObjectLockEnabled>Enabled</ObjectLockEnabled>");
    expect(got).not.toContain("<Rule>");
    expect((await acme("/bad-flag", { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "yes" } })).status).toBe(400);
  });

  it("validates and stores the default retention, in days or years", async () => {
    expect((await acme("/defaults?object-lock", { method: "PUT", body: lockConfig(rule("<Mode>GOVERNANCE</Mode><Days>2</Days>")) })).status).toBe(200);
    expect(await (await acme("/defaults?object-lock")).text()).toContain("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>2</Days></DefaultRetention></Rule>");
    const cases: [string, string][] = [
      [lockConfig(rule("<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>")), "MalformedXML"],
      [lockConfig(rule("<Mode>GOVERNANCE</Mode>")), "MalformedXML"],
      [lockConfig(rule("<Mode>FOREVER</Mode><Days>1</Days>")), "MalformedXML"],
      [lockConfig(rule("<Mode>GOVERNANCE</Mode><Days>0</Days>")), "InvalidRetentionPeriod"],
      [lockConfig(rule("<Mode>GOVERNANCE</Mode><Years>-1</Years>")), "InvalidRetentionPeriod"],
      [lockConfig(rule("<Mode>GOVERNANCE</Mode><Days>99999999</Days>")), "InvalidRetentionPeriod"],
      [lockConfig("", "Disabled"), "MalformedXML"],
      ["<ObjectLockConfiguration>", "MalformedXML"],
    ];
    for (const [body, expected] of cases) {
      const res = await acme("/defaults?object-lock", { method: "PUT", body });
      expect(res.status, body).toBe(400);
      expect(await code(res), body).toBe(expected);
    }
    expect(await (await acme("/defaults?object-lock")).text()).toContain("<Days>2</Days>");
  });

  it("a bucket without object lock has no configuration and refuses every lock (InvalidRequest)", async () => {
    const none = await acme("/plain?object-lock");
    expect(none.status).toBe(404);
    expect(await code(none)).toBe("ObjectLockConfigurationNotFoundError");
    const enable = await acme("/plain?object-lock", { method: "PUT", body: lockConfig() });
    expect(enable.status).toBe(409);
    expect(await code(enable)).toBe("InvalidBucketState");
    const withHeaders = await acme("/plain/k", { method: "PUT", body: "x", headers: lockHeaders("COMPLIANCE", inDays(1)) });
    expect(withHeaders.status).toBe(400);
    expect(await code(withHeaders)).toBe("InvalidRequest");
    expect((await acme("/plain/k")).status).toBe(404);
    const hold = await acme("/plain/k", { method: "PUT", body: "x", headers: { "x-amz-object-lock-legal-hold": "ON" } });
    expect(hold.status).toBe(400);
    await put("/plain/k", "x");
    for (const [sub, body] of [["retention", retentionXml("COMPLIANCE", inDays(1))], ["legal-hold", "<LegalHold><Status>ON</Status></LegalHold>"]] as const) {
      const res = await acme(`/plain/k?${sub}`, { method: "PUT", body });
      expect(res.status, sub).toBe(400);
      expect(await code(res)).toBe("InvalidRequest");
      expect((await acme(`/plain/k?${sub}`)).status).toBe(400);
    }
    const upload = await acme("/plain/mp?uploads", { method: "POST", headers: lockHeaders("GOVERNANCE", inDays(1)) });
    expect(upload.status).toBe(400);
    // Nothing was left behind that could not be deleted.
    expect((await acme("/plain/k", { method: "DELETE" })).status).toBe(204);
    const [row] = await sql`select count(*)::int as n from object_metadata o join buckets b using (bucket_id) where b.bucket_name = 'plain' and (o.legal_hold or o.retention_until is not null)`;
    expect(row!.n).toBe(0);
  });

  it("a versioned bucket can turn object lock on later", async () => {
    const before = await acme("/later?object-lock", { method: "PUT", body: lockConfig() });
    expect(before.status).toBe(409);
    await acme("/later?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" });
    expect((await acme("/later?object-lock", { method: "PUT", body: lockConfig(rule("<Mode>COMPLIANCE</Mode><Years>1</Years>")) })).status).toBe(200);
    expect((await acme("/later?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>" })).status).toBe(409);
    await put("/later/doc", "d");
    const head = await acme("/later/doc", { method: "HEAD" });
    expect(head.headers.get("x-amz-object-lock-mode")).toBe("COMPLIANCE");
    const until = new Date(head.headers.get("x-amz-object-lock-retain-until-date")!);
    expect(Math.abs(until.getTime() - (Date.now() + 365 * DAY))).toBeLessThan(60_000);
  });
});

describe("lock headers on writes", () => {
  it("PutObject: explicit retention and legal hold, else the default; HEAD and GET report them", async () => {
    const until = inDays(3);
    const v = await put("/locked/explicit", "e", { ...lockHeaders("COMPLIANCE", until), "x-amz-object-lock-legal-hold": "ON" });
    for (const method of ["HEAD", "GET"]) {
      const res = await acme(`/locked/explicit?versionId=${v}`, { method });
      expect(res.headers.get("x-amz-object-lock-mode")).toBe("COMPLIANCE");
      expect(res.headers.get("x-amz-object-lock-retain-until-date")).toBe(until.toISOString());
      expect(res.headers.get("x-amz-object-lock-legal-hold")).toBe("ON");
    }
    const d = await put("/defaults/by-default", "d");
    const head = await acme(`/defaults/by-default?versionId=${d}`, { method: "HEAD" });
    expect(head.headers.get("x-amz-object-lock-mode")).toBe("GOVERNANCE");
    expect(head.headers.get("x-amz-object-lock-legal-hold")).toBe("OFF");
    const plain = await put("/locked/no-rule", "n");
    expect((await acme(`/locked/no-rule?versionId=${plain}`, { method: "HEAD" })).headers.get("x-amz-object-lock-mode")).toBeNull();
    const del = await acme(`/defaults/by-default?versionId=${d}`, { method: "DELETE" });
    expect(del.status).toBe(403);
  });

  it("refuses half or malformed lock headers with InvalidArgument, storing nothing", async () => {
    const bad: Record<string, string>[] = [
      { "x-amz-object-lock-mode": "GOVERNANCE" },
      { "x-amz-object-lock-retain-until-date": inDays(1).toISOString() },
      lockHeaders("FOREVER", inDays(1)),
      { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "tomorrow" },
      lockHeaders("GOVERNANCE", new Date(Date.now() - DAY)),
      { "x-amz-object-lock-legal-hold": "MAYBE" },
    ];
    for (const headers of bad) {
      const res = await acme("/locked/bad", { method: "PUT", body: "b", headers });
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect(await code(res)).toBe("InvalidArgument");
    }
    expect((await acme("/locked/bad")).status).toBe(404);
  });

  it("CopyObject and multipart uploads take lock headers; the upload's lock never shows as a header", async () => {
    const src = await put("/locked/src", "source");
    const until = inDays(2);
    const copy = await acme("/locked/copied", { method: "PUT", headers: { "x-amz-copy-source": `/locked/src?versionId=${src}`, ...lockHeaders("GOVERNANCE", until) } });
    expect(copy.status).toBe(200);
    expect((await acme("/locked/copied", { method: "HEAD" })).headers.get("x-amz-object-lock-retain-until-date")).toBe(until.toISOString());

    const created = await acme("/locked/mp?uploads", { method: "POST", headers: { ...lockHeaders("COMPLIANCE", until), "x-amz-object-lock-legal-hold": "ON" } });
    expect(created.status).toBe(200);
    const uploadId = (await created.text()).match(/<UploadId>([^<]+)<\/UploadId>/)![1]!;
    const part = await acme(`/locked/mp?partNumber=1&uploadId=${uploadId}`, { method: "PUT", body: "only part" });
    const etag = part.headers.get("etag")!;
    const done = await acme(`/locked/mp?uploadId=${uploadId}`, { method: "POST", body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>` });
    expect(done.status).toBe(200);
    const version = done.headers.get("x-amz-version-id")!;
    expect(version).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const head = await acme(`/locked/mp?versionId=${version}`, { method: "HEAD" });
    expect(head.headers.get("x-amz-object-lock-mode")).toBe("COMPLIANCE");
    expect(head.headers.get("x-amz-object-lock-legal-hold")).toBe("ON");
    expect([...head.headers.keys()].filter((h) => h.startsWith("x-s3gw"))).toEqual([]);
    expect((await acme(`/locked/mp?versionId=${version}`, { method: "DELETE", headers: asAdmin })).status).toBe(403);
  });
});

describe("locks per version", () => {
  it("COMPLIANCE can never be downgraded to GOVERNANCE or shortened; the downgrade-then-delete path fails", async () => {
    const until = inDays(2);
    const v = await put("/locked/evidence", "proof", lockHeaders("COMPLIANCE", until));
    for (const body of [retentionXml("GOVERNANCE", until), retentionXml("GOVERNANCE", inDays(30)), retentionXml("COMPLIANCE", inDays(1)), "<Retention/>"]) {
      const res = await acme(`/locked/evidence?retention&versionId=${v}`, { method: "PUT", body, headers: asAdmin });
      expect(res.status, body).toBe(403);
      expect(await code(res)).toBe("AccessDenied");
    }
    const del = await acme(`/locked/evidence?versionId=${v}`, { method: "DELETE", headers: asAdmin });
    expect(del.status).toBe(403);
    expect(await (await acme(`/locked/evidence?retention&versionId=${v}`)).text()).toContain("<Mode>COMPLIANCE</Mode>");
    const batch = await acme("/locked?delete", { method: "POST", headers: asAdmin, body: `<Delete><Object><Key>evidence</Key><VersionId>${v}</VersionId></Object></Delete>` });
    expect(await batch.text()).toContain("<Code>AccessDenied</Code>");
    expect(await (await acme(`/locked/evidence?versionId=${v}`)).text()).toBe("proof");
  });

  it("a delete without versionId only adds a marker; each version keeps its own lock", async () => {
    const held = await put("/locked/multi", "v1", lockHeaders("GOVERNANCE", inDays(1)));
    const free = await put("/locked/multi", "v2");
    const marker = await acme("/locked/multi", { method: "DELETE" });
    expect(marker.status).toBe(204);
    expect(marker.headers.get("x-amz-delete-marker")).toBe("true");
    expect((await acme(`/locked/multi?versionId=${free}`, { method: "DELETE" })).status).toBe(204);
    expect((await acme(`/locked/multi?versionId=${held}`, { method: "DELETE" })).status).toBe(403);
    expect((await acme(`/locked/multi?versionId=${held}`, { method: "DELETE", headers: { "x-amz-bypass-governance-retention": "true" } })).status).toBe(403);
    expect((await acme(`/locked/multi?versionId=${held}`, { method: "DELETE", headers: asAdmin })).status).toBe(204);
  });

  it("retention and legal hold address a given version", async () => {
    const v1 = await put("/locked/pick", "1");
    const v2 = await put("/locked/pick", "2");
    expect((await acme(`/locked/pick?legal-hold&versionId=${v1}`, { method: "PUT", body: "<LegalHold><Status>ON</Status></LegalHold>" })).status).toBe(200);
    expect(await (await acme(`/locked/pick?legal-hold&versionId=${v1}`)).text()).toContain("<Status>ON</Status>");
    expect((await acme(`/locked/pick?legal-hold&versionId=${v2}`)).status).toBe(404);
    expect((await acme(`/locked/pick?versionId=${v2}`, { method: "DELETE" })).status).toBe(204);
    expect((await acme(`/locked/pick?versionId=${v1}`, { method: "DELETE" })).status).toBe(403);
    const missing = await acme(`/locked/pick?retention&versionId=${"Z".repeat(32)}`, { method: "PUT", body: retentionXml("GOVERNANCE", inDays(1)) });
    expect(missing.status).toBe(404);
    expect(await code(missing)).toBe("NoSuchVersion");
  });

  it("the compliance API's hold listing pages through every held version of one key", async () => {
    const a = await put("/locked/twice-held", "a", { "x-amz-object-lock-legal-hold": "ON" });
    const b = await put("/locked/twice-held", "b", { "x-amz-object-lock-legal-hold": "ON" });
    const auditor = bearer(await mintToken(fi.url, "hold auditor", "auditor"));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await fetch(`${fi.url}/api/holds?customer_id=acme-corp&bucket=locked&limit=1${cursor ? `&cursor=${cursor}` : ""}`, { headers: auditor });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { key: string; version_id: string }[]; next_cursor: string | null };
      seen.push(...page.items.filter((i) => i.key === "twice-held").map((i) => i.version_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.sort()).toEqual([a, b].sort());
  });
});
