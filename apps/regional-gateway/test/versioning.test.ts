import { existsSync } from "node:fs";
import { join } from "node:path";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
let bank: ReturnType<typeof s3>;

const versioningXml = (status: string, mfa?: string) =>
  `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${status}</Status>${mfa ? `<MfaDelete>${mfa}</MfaDelete>` : ""}</VersioningConfiguration>`;
const code = async (res: Response) => (await res.text()).match(/<Code>([^<]+)<\/Code>/)?.[1];

async function put(client: ReturnType<typeof s3>, path: string, body: string): Promise<string | null> {
  const res = await client(path, { method: "PUT", body });
  expect(res.status).toBe(200);
  return res.headers.get("x-amz-version-id");
}
async function enable(client: ReturnType<typeof s3>, bucket: string, status = "Enabled") {
  expect((await client(`/${bucket}?versioning`, { method: "PUT", body: versioningXml(status) })).status).toBe(200);
}
/** The ListObjectVersions entries in document order: [kind, key, versionId, isLatest]. */
async function versions(client: ReturnType<typeof s3>, bucket: string, query = ""): Promise<{ entries: string[][]; xml: string }> {
  const res = await client(`/${bucket}?versions${query}`);
  expect(res.status).toBe(200);
  const xml = await res.text();
  const entries = [...xml.matchAll(/<(Version|DeleteMarker)><Key>([^<]*)<\/Key><VersionId>([^<]*)<\/VersionId><IsLatest>(true|false)<\/IsLatest>/g)].map((m) => [m[1]!, m[2]!, m[3]!, m[4]!]);
  return { entries, xml };
}
const storagePath = async (versionId: string) => {
  const [row] = await sql`select storage_key from object_metadata where version_id = ${versionId}`;
  return row ? join(fi.storageDir, row.storage_key as string) : undefined;
};

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["plain", "ver", "susp", "copies", "listing", "race", "other"]);
  expect((await register(fi.url, "nordic-bank", { customer_name: "Nordic Bank" })).status).toBe(201);
  bank = s3(fi.url, "nordic-bank");
  expect((await bank("/ver", { method: "PUT" })).status).toBe(200);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("bucket versioning configuration", () => {
  it("starts unversioned, moves between Enabled and Suspended, and refuses MFA Delete and unknown states", async () => {
    expect(await (await acme("/other?versioning")).text()).toMatch(/<VersioningConfiguration[^>]*\/>|<VersioningConfiguration[^>]*><\/VersioningConfiguration>/);
    await enable(acme, "other");
    expect(await (await acme("/other?versioning")).text()).toContain("<Status>Enabled</Status>");
    await enable(acme, "other", "Suspended");
    expect(await (await acme("/other?versioning")).text()).toContain("<Status>Suspended</Status>");
    const mfa = await acme("/other?versioning", { method: "PUT", body: versioningXml("Enabled", "Enabled") });
    expect(mfa.status).toBe(400);
    expect(await code(mfa)).toBe("InvalidRequest");
    for (const bad of ["Disabled", "Unversioned", "enabled", ""]) {
      const res = await acme("/other?versioning", { method: "PUT", body: versioningXml(bad) });
      expect(res.status, bad).toBe(400);
      expect(await code(res)).toBe("MalformedXML");
    }
    expect((await acme("/other?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Enabled" })).status).toBe(400);
    expect(await (await acme("/other?versioning")).text()).toContain("<Status>Suspended</Status>");
    const [audit] = await sql`select compliance_info as info from operations_log where operation_type = 'PutBucketVersioning' and result = 'success' order by id desc limit 1`;
    expect(audit?.info).toMatchObject({ versioning: "Suspended", was: "Enabled" });
  });
});

describe("versions and delete markers", () => {
  it("an unversioned bucket sends no version id and serves the null version", async () => {
    expect(await put(acme, "/plain/a.txt", "one")).toBeNull();
    expect(await (await acme("/plain/a.txt?versionId=null")).text()).toBe("one");
    const del = await acme("/plain/a.txt", { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(del.headers.get("x-amz-delete-marker")).toBeNull();
    const missing = await acme("/plain/a.txt", { method: "HEAD" });
    expect(missing.status).toBe(404);
    // Absent, not hidden: S3 says `false` on the 404.
    expect(missing.headers.get("x-amz-delete-marker")).toBe("false");
  });

  it("keeps every version, serves each by id, and hides a key behind a delete marker", async () => {
    await enable(acme, "ver");
    const v1 = await put(acme, "/ver/doc.txt", "first");
    const v2 = await put(acme, "/ver/doc.txt", "second");
    expect(v1).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(v2).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(v1).not.toBe(v2);
    const latest = await acme("/ver/doc.txt");
    expect(await latest.text()).toBe("second");
    expect(latest.headers.get("x-amz-version-id")).toBe(v2);
    const old = await acme(`/ver/doc.txt?versionId=${v1}`);
    expect(await old.text()).toBe("first");
    expect(old.headers.get("x-amz-version-id")).toBe(v1);
    const head = await acme(`/ver/doc.txt?versionId=${v1}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("5");

    const del = await acme("/ver/doc.txt", { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(del.headers.get("x-amz-delete-marker")).toBe("true");
    const marker = del.headers.get("x-amz-version-id")!;
    expect(marker).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const gone = await acme("/ver/doc.txt");
    expect(gone.status).toBe(404);
    expect(gone.headers.get("x-amz-delete-marker")).toBe("true");
    expect(gone.headers.get("x-amz-version-id")).toBe(marker);
    expect(await code(gone)).toBe("NoSuchKey");
    const headGone = await acme("/ver/doc.txt", { method: "HEAD" });
    expect(headGone.status).toBe(404);
    expect(headGone.headers.get("x-amz-delete-marker")).toBe("true");
    const onMarker = await acme(`/ver/doc.txt?versionId=${marker}`);
    expect(onMarker.status).toBe(405);
    expect(onMarker.headers.get("x-amz-delete-marker")).toBe("true");
    expect(await code(onMarker)).toBe("MethodNotAllowed");
    expect(await (await acme(`/ver/doc.txt?versionId=${v1}`)).text()).toBe("first");
    expect(await (await acme("/ver?list-type=2")).text()).not.toContain("doc.txt");

    const { entries } = await versions(acme, "ver");
    expect(entries).toEqual([
      ["DeleteMarker", "doc.txt", marker, "true"],
      ["Version", "doc.txt", v2!, "false"],
      ["Version", "doc.txt", v1!, "false"],
    ]);

    // Removing the marker brings the newest version back.
    const undelete = await acme(`/ver/doc.txt?versionId=${marker}`, { method: "DELETE" });
    expect(undelete.status).toBe(204);
    expect(undelete.headers.get("x-amz-delete-marker")).toBe("true");
    expect(undelete.headers.get("x-amz-version-id")).toBe(marker);
    expect(await (await acme("/ver/doc.txt")).text()).toBe("second");

    // Deleting one version removes its row, then its bytes; the others stay.
    const bytes = (await storagePath(v1!))!;
    expect(existsSync(bytes)).toBe(true);
    const delV1 = await acme(`/ver/doc.txt?versionId=${v1}`, { method: "DELETE" });
    expect(delV1.status).toBe(204);
    expect(delV1.headers.get("x-amz-version-id")).toBe(v1);
    expect(existsSync(bytes)).toBe(false);
    const missing = await acme(`/ver/doc.txt?versionId=${v1}`);
    expect(missing.status).toBe(404);
    expect(await code(missing)).toBe("NoSuchVersion");
    expect((await versions(acme, "ver")).entries).toEqual([["Version", "doc.txt", v2!, "true"]]);

    // Deleting the latest version by id promotes the next one (here: none, the key is gone).
    expect((await acme(`/ver/doc.txt?versionId=${v2}`, { method: "DELETE" })).status).toBe(204);
    expect((await acme("/ver/doc.txt")).status).toBe(404);
    expect((await versions(acme, "ver")).entries).toEqual([]);
    const [audit] = await sql`select compliance_info as info from operations_log where operation_type = 'DeleteObject' and result = 'success' order by id desc limit 1`;
    expect(audit?.info).toMatchObject({ existed: true, version_id: v2 });
  });

  it("a suspended bucket writes and replaces the null version, keeping the versions from before", async () => {
    await enable(acme, "susp");
    const v1 = await put(acme, "/susp/k", "enabled-1");
    await enable(acme, "susp", "Suspended");
    // S3 names no version id in the answer to a write of the null version.
    expect(await put(acme, "/susp/k", "null-1")).toBeNull();
    const firstNull = (await storagePath("null"))!;
    expect(await put(acme, "/susp/k", "null-2")).toBeNull();
    expect((await acme("/susp/k", { method: "HEAD" })).headers.get("x-amz-version-id")).toBe("null");
    expect(existsSync(firstNull)).toBe(false);
    expect(await (await acme("/susp/k")).text()).toBe("null-2");
    expect((await versions(acme, "susp")).entries).toEqual([
      ["Version", "k", "null", "true"],
      ["Version", "k", v1!, "false"],
    ]);
    const del = await acme("/susp/k", { method: "DELETE" });
    expect(del.headers.get("x-amz-version-id")).toBe("null");
    expect(del.headers.get("x-amz-delete-marker")).toBe("true");
    expect((await versions(acme, "susp")).entries).toEqual([
      ["DeleteMarker", "k", "null", "true"],
      ["Version", "k", v1!, "false"],
    ]);
    // A PUT replaces the null marker too.
    expect(await put(acme, "/susp/k", "null-3")).toBeNull();
    expect((await versions(acme, "susp")).entries).toEqual([
      ["Version", "k", "null", "true"],
      ["Version", "k", v1!, "false"],
    ]);
    // Enabled again: new versions stack on top of the null one.
    await enable(acme, "susp");
    const v3 = await put(acme, "/susp/k", "enabled-3");
    expect((await versions(acme, "susp")).entries.map((e) => e[2])).toEqual([v3, "null", v1]);
  });

  it("copies a given version and names it in x-amz-copy-source-version-id", async () => {
    await enable(acme, "copies");
    const v1 = await put(acme, "/copies/src", "old bytes");
    await put(acme, "/copies/src", "new bytes");
    const copy = await acme("/copies/dst", { method: "PUT", headers: { "x-amz-copy-source": `/copies/src?versionId=${v1}` } });
    expect(copy.status).toBe(200);
    expect(copy.headers.get("x-amz-copy-source-version-id")).toBe(v1);
    expect(copy.headers.get("x-amz-version-id")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await (await acme("/copies/dst")).text()).toBe("old bytes");
    // Copying an old version onto its own key restores it as the newest version.
    const restore = await acme("/copies/src", { method: "PUT", headers: { "x-amz-copy-source": `copies/src?versionId=${v1}` } });
    expect(restore.status).toBe(200);
    expect(await (await acme("/copies/src")).text()).toBe("old bytes");
    const bad = await acme("/copies/x", { method: "PUT", headers: { "x-amz-copy-source": "/copies/src?versionId=../../etc" } });
    expect(bad.status).toBe(400);
    expect(await code(bad)).toBe("InvalidArgument");
    const none = await acme("/copies/x", { method: "PUT", headers: { "x-amz-copy-source": `/copies/src?versionId=${"A".repeat(32)}` } });
    expect(none.status).toBe(404);
    expect(await code(none)).toBe("NoSuchVersion");
  });

  it("DeleteObjects deletes given versions and reports the markers it writes", async () => {
    const v1 = await put(acme, "/ver/batch-a", "a");
    await put(acme, "/ver/batch-b", "b");
    const body = `<Delete><Object><Key>batch-a</Key><VersionId>${v1}</VersionId></Object><Object><Key>batch-b</Key></Object><Object><Key>batch-c</Key><VersionId>not-an-id</VersionId></Object></Delete>`;
    const res = await acme("/ver?delete", { method: "POST", body });
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toContain(`<Deleted><Key>batch-a</Key><VersionId>${v1}</VersionId></Deleted>`);
    expect(xml).toMatch(/<Deleted><Key>batch-b<\/Key><DeleteMarker>true<\/DeleteMarker><DeleteMarkerVersionId>[A-Za-z0-9_-]{32}<\/DeleteMarkerVersionId><\/Deleted>/);
    expect(xml).toContain("<Error><Key>batch-c</Key><VersionId>not-an-id</VersionId><Code>InvalidArgument</Code>");
    expect((await acme(`/ver/batch-a?versionId=${v1}`)).status).toBe(404);
    expect((await acme("/ver/batch-b")).headers.get("x-amz-delete-marker")).toBe("true");
  });

  it("a bucket holding only delete markers or old versions is not empty", async () => {
    await acme("/other/gone", { method: "PUT", body: "x" });
    await acme("/other/gone", { method: "DELETE" });
    const del = await acme("/other", { method: "DELETE" });
    expect(del.status).toBe(409);
    expect(await code(del)).toBe("BucketNotEmpty");
  });
});

describe("ListObjectVersions", () => {
  it("pages with key and version-id markers, groups by delimiter and filters by prefix", async () => {
    await enable(acme, "listing");
    const ids: Record<string, string[]> = {};
    for (const key of ["a", "b", "dir/x", "dir/y"]) {
      ids[key] = [];
      for (let i = 0; i < 2; i++) ids[key]!.unshift((await put(acme, `/listing/${key}`, `${key}${i}`))!);
    }
    const all = (await versions(acme, "listing")).entries.map((e) => `${e[1]}@${e[2]}`);
    expect(all).toEqual(["a", "b", "dir/x", "dir/y"].flatMap((k) => ids[k]!.map((v) => `${k}@${v}`)));

    const walked: string[] = [];
    let query = "&max-keys=3";
    for (let page = 0; page < 10; page++) {
      const { entries, xml } = await versions(acme, "listing", query);
      walked.push(...entries.map((e) => `${e[1]}@${e[2]}`));
      if (!xml.includes("<IsTruncated>true</IsTruncated>")) break;
      const km = xml.match(/<NextKeyMarker>([^<]*)<\/NextKeyMarker>/)![1]!;
      const vm = xml.match(/<NextVersionIdMarker>([^<]*)<\/NextVersionIdMarker>/)![1]!;
      query = `&max-keys=3&key-marker=${encodeURIComponent(km)}&version-id-marker=${vm}`;
    }
    expect(walked).toEqual(all);

    const grouped = await versions(acme, "listing", "&delimiter=/");
    expect(grouped.entries.map((e) => e[1])).toEqual(["a", "a", "b", "b"]);
    expect(grouped.xml).toContain("<CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>");
    const prefixed = await versions(acme, "listing", "&prefix=dir/&max-keys=1000");
    expect(prefixed.entries.map((e) => e[1])).toEqual(["dir/x", "dir/x", "dir/y", "dir/y"]);
    expect(prefixed.xml).toContain(`<Version><Key>dir/x</Key><VersionId>${ids["dir/x"]![0]}</VersionId><IsLatest>true</IsLatest>`);
    const afterKey = await versions(acme, "listing", "&key-marker=b");
    expect(afterKey.entries[0]?.[1]).toBe("dir/x");

    for (const bad of ["&max-keys=-1", "&version-id-marker=abc", "&key-marker=a&version-id-marker=not-an-id", "&encoding-type=base64"]) {
      const res = await acme(`/listing?versions${bad}`);
      expect(res.status, bad).toBe(400);
    }
    // A well-formed marker naming no version (one deleted since the last page): the key's
    // remaining versions are listed again rather than skipped (versioning-cleanup.test.ts).
    const gone = await versions(acme, "listing", `&key-marker=dir/x&version-id-marker=${"B".repeat(32)}`);
    expect(gone.entries.slice(0, 2).map((e) => e[1])).toEqual(["dir/x", "dir/x"]);
  });
});

describe("ListObjectVersions under hostile parameters", () => {
  it("treats prefixes and markers literally and answers malformed ones with 400, never 5xx", async () => {
    await enable(acme, "other");
    for (const key of ["100%", "1_0", "10", "a\u{1F600}b", "a\u{1F600}c", "q'; drop table x;--"]) await put(acme, `/other/${encodeURIComponent(key)}`, key);
    expect((await versions(acme, "other", "&prefix=100%25")).entries.map((e) => e[1])).toEqual(["100%"]);
    expect((await versions(acme, "other", "&prefix=1_")).entries.map((e) => e[1])).toEqual(["1_0"]);
    const astral = await versions(acme, "other", `&key-marker=${encodeURIComponent("a\u{1F600}b")}&prefix=a`);
    expect(astral.entries.map((e) => e[1])).toEqual(["a\u{1F600}c"]);
    expect((await versions(acme, "other", `&prefix=${encodeURIComponent("q'")}`)).entries).toHaveLength(1);
    const none = await versions(acme, "other", "&max-keys=0");
    expect(none.entries).toEqual([]);
    expect(none.xml).toContain("<IsTruncated>false</IsTruncated>");
    const url = await versions(acme, "other", "&encoding-type=url&prefix=a");
    expect(url.xml).toContain(`<Key>${encodeURIComponent("a\u{1F600}b")}</Key>`);
    for (const bad of [`&key-marker=${"k".repeat(1025)}`, `&version-id-marker=${"v".repeat(65)}&key-marker=a`, "&max-keys=1e3", "&delimiter=" + "/".repeat(65), `&key-marker=10&version-id-marker=${encodeURIComponent("' or 1=1 --")}`]) {
      const res = await acme(`/other?versions${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });
});

describe("versions across tenants and under contention", () => {
  it("a version id never reaches another customer's or another bucket's object", async () => {
    const v = await put(acme, "/ver/secret.txt", "acme secret");
    await put(bank, "/ver/secret.txt", "bank data");
    for (const res of [await bank(`/ver/secret.txt?versionId=${v}`), await acme(`/copies/secret.txt?versionId=${v}`)]) {
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain("acme secret");
    }
    expect((await bank(`/ver/secret.txt?versionId=${v}`, { method: "DELETE" })).status).toBe(204);
    expect(await (await acme(`/ver/secret.txt?versionId=${v}`)).text()).toBe("acme secret");
    const copy = await bank("/ver/stolen", { method: "PUT", headers: { "x-amz-copy-source": `/ver/secret.txt?versionId=${v}` } });
    expect(copy.status).toBe(404);
    expect((await versions(bank, "ver")).xml).not.toContain(v!);
  });

  it("refuses forged, oversized and malformed version ids with 400 before any lookup", async () => {
    for (const id of ["x".repeat(33), "A".repeat(31), "A".repeat(31) + "%", "%00", "null ", "NULL", "A".repeat(5000)]) {
      const res = await acme(`/ver/secret.txt?versionId=${encodeURIComponent(id)}`);
      expect(res.status, id).toBe(400);
      expect(await code(res)).toBe("InvalidArgument");
      expect((await acme(`/ver/secret.txt?versionId=${encodeURIComponent(id)}`, { method: "DELETE" })).status).toBe(400);
    }
  });

  it("concurrent PUTs of one key each get a version, none is lost, the latest is one of them", async () => {
    await enable(acme, "race");
    const bodies = Array.from({ length: 12 }, (_, i) => `body-${i}`);
    const ids = await Promise.all(bodies.map((b) => put(acme, "/race/hot", b)));
    expect(new Set(ids).size).toBe(12);
    const listed = (await versions(acme, "race")).entries;
    expect(listed.map((e) => e[2]).sort()).toEqual([...ids].sort());
    expect(listed.filter((e) => e[3] === "true")).toHaveLength(1);
    expect(listed[0]![3]).toBe("true");
    const latest = await acme("/race/hot");
    expect(bodies).toContain(await latest.text());
    expect(latest.headers.get("x-amz-version-id")).toBe(listed[0]![2]);
    // Concurrent deletes and puts: exactly one latest survives, every version is accounted for.
    await Promise.all([...Array.from({ length: 4 }, () => acme("/race/hot", { method: "DELETE" })), ...bodies.slice(0, 4).map((b) => put(acme, "/race/hot", b))]);
    const after = (await versions(acme, "race")).entries;
    expect(after).toHaveLength(12 + 8);
    expect(after.filter((e) => e[3] === "true")).toHaveLength(1);
  });
});
