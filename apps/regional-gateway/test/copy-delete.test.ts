import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { md5B64, md5Hex, tenantBlobCount, xmlBlocks, xmlValue } from "./s3-write-helpers.ts";

let fi: TestRegion;
let acme: ReturnType<typeof s3>;
let globex: ReturnType<typeof s3>;
let sql: postgres.Sql;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["docs", "archive", "batch"]);
  globex = await registerWithBuckets(fi.url, "globex", ["secrets"], { customer_name: "Globex", country: "DE", data_residency_requirement: "jurisdiction" });
  sql = postgresClient(fi.databaseUrl, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

const copy = (dest: string, source: string, headers: Record<string, string> = {}) => acme(dest, { method: "PUT", headers: { "x-amz-copy-source": source, ...headers } });
const code = async (res: Response) => xmlValue(await res.text(), "Code");

async function putSource(path: string, body: string) {
  const res = await acme(path, {
    method: "PUT",
    body,
    headers: { "content-type": "text/markdown", "x-amz-meta-author": "ann", "cache-control": "max-age=60", "x-amz-tagging": "team=legal" },
  });
  expect(res.status).toBe(200);
  return res.headers.get("etag")!;
}

describe("CopyObject", () => {
  it("copies bytes and, by default, metadata and tags (COPY)", async () => {
    const etag = await putSource("/docs/plan v1.md", "# Plan ü");
    const res = await copy("/archive/plan.md", "/docs/plan%20v1.md");
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(xmlValue(body, "ETag")).toBe(etag);
    expect(new Date(xmlValue(body, "LastModified")!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const get = await acme("/archive/plan.md");
    expect(await get.text()).toBe("# Plan ü");
    expect(get.headers.get("content-type")).toBe("text/markdown");
    expect(get.headers.get("x-amz-meta-author")).toBe("ann");
    expect(get.headers.get("cache-control")).toBe("max-age=60");
    expect(get.headers.get("x-amz-tagging-count")).toBe("1");
    // Without a leading slash, as boto3 sends it.
    expect((await copy("/archive/plan2.md", "docs/plan%20v1.md")).status).toBe(200);
  });

  it("takes metadata and tags from the request with REPLACE", async () => {
    await putSource("/docs/replace.md", "replace me");
    const res = await copy("/archive/replaced.md", "/docs/replace.md", {
      "x-amz-metadata-directive": "REPLACE",
      "content-type": "text/plain",
      "x-amz-meta-reviewer": "bob",
      "x-amz-tagging-directive": "REPLACE",
      "x-amz-tagging": "a=1&b=2",
    });
    expect(res.status).toBe(200);
    const get = await acme("/archive/replaced.md");
    expect(get.headers.get("content-type")).toBe("text/plain");
    expect(get.headers.get("x-amz-meta-reviewer")).toBe("bob");
    expect(get.headers.get("x-amz-meta-author")).toBeNull();
    expect(get.headers.get("cache-control")).toBeNull();
    expect(get.headers.get("x-amz-tagging-count")).toBe("2");
    expect((await copy("/archive/x.md", "/docs/replace.md", { "x-amz-metadata-directive": "MOVE" })).status).toBe(400);
  });

  it("refuses copying an object onto itself unless the metadata is replaced", async () => {
    await putSource("/docs/self.md", "self");
    const same = await copy("/docs/self.md", "/docs/self.md");
    expect(same.status).toBe(400);
    expect(await code(same)).toBe("InvalidRequest");
    const replaced = await copy("/docs/self.md", "/docs/self.md", { "x-amz-metadata-directive": "REPLACE", "x-amz-meta-state": "final" });
    expect(replaced.status).toBe(200);
    const get = await acme("/docs/self.md");
    expect(await get.text()).toBe("self");
    expect(get.headers.get("x-amz-meta-state")).toBe("final");
  });

  it("applies x-amz-copy-source-if-* preconditions (412)", async () => {
    const etag = await putSource("/docs/cond.md", "conditional");
    const past = new Date(Date.now() - 3_600_000).toUTCString();
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const failing: Record<string, string>[] = [
      { "x-amz-copy-source-if-match": `"${md5Hex("other")}"` },
      { "x-amz-copy-source-if-none-match": etag },
      { "x-amz-copy-source-if-modified-since": future },
      { "x-amz-copy-source-if-unmodified-since": past },
    ];
    for (const headers of failing) {
      const res = await copy("/archive/cond.md", "/docs/cond.md", headers);
      expect(res.status).toBe(412);
      expect(await code(res)).toBe("PreconditionFailed");
    }
    expect((await acme("/archive/cond.md")).status).toBe(404);
    // A true If-Match wins over a false If-Unmodified-Since, as in S3.
    expect((await copy("/archive/cond.md", "/docs/cond.md", { "x-amz-copy-source-if-match": etag, "x-amz-copy-source-if-unmodified-since": past })).status).toBe(200);
    expect((await copy("/archive/cond2.md", "/docs/cond.md", { "x-amz-copy-source-if-none-match": `"${md5Hex("other")}"`, "x-amz-copy-source-if-modified-since": past })).status).toBe(200);
  });

  it("cannot reach another customer's objects", async () => {
    expect((await globex("/secrets/plan.txt", { method: "PUT", body: "globex only" })).status).toBe(200);
    // Bucket names are per customer: "secrets" is not one of acme's buckets.
    const byName = await copy("/docs/stolen.txt", "/secrets/plan.txt");
    expect(byName.status).toBe(404);
    expect(await code(byName)).toBe("NoSuchBucket");
    const byOwner = await copy("/docs/stolen.txt", "/docs/plan%20v1.md", { "x-amz-source-expected-bucket-owner": "globex" });
    expect(byOwner.status).toBe(403);
    expect(await code(byOwner)).toBe("AccessDenied");
    const byArn = await copy("/docs/stolen.txt", "arn:aws:s3:eu-north-1:123456789012:accesspoint/globex/object/plan.txt");
    expect(byArn.status).toBe(403);
    expect((await acme("/docs/stolen.txt")).status).toBe(404);
    const missing = await copy("/docs/none.txt", "/docs/does-not-exist");
    expect(missing.status).toBe(404);
    expect(await code(missing)).toBe("NoSuchKey");
    expect((await copy("/docs/none.txt", "/docs/plan%20v1.md?versionId=abc")).status).toBe(400);
  });

  it("refuses copying onto a held object and stores nothing", async () => {
    await putSource("/docs/held.md", "held original");
    // S3 object lock needs a lock-enabled (versioned) bucket; in this unversioned one the hold is placed as the compliance side places it.
    await sql`update object_metadata set legal_hold = true where bucket_name = 'docs' and object_key = 'held.md'`;
    const before = await tenantBlobCount(fi.storageDir, "acme-corp");
    const res = await copy("/docs/held.md", "/docs/plan%20v1.md");
    expect(res.status).toBe(403);
    expect(await code(res)).toBe("AccessDenied");
    expect(await (await acme("/docs/held.md")).text()).toBe("held original");
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(before);
  });
});

const deleteXml = (keys: string[], quiet = false) =>
  `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${quiet ? "<Quiet>true</Quiet>" : ""}${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join("")}</Delete>`;
const deleteObjects = (xml: string, headers: Record<string, string> = {}) => acme("/batch?delete", { method: "POST", body: xml, headers });

describe("DeleteObjects", () => {
  it("deletes a batch and reports each key, missing keys included", async () => {
    for (const k of ["one", "two", "a&b <c>"]) expect((await acme(`/batch/${encodeURIComponent(k)}`, { method: "PUT", body: k })).status).toBe(200);
    const xml = deleteXml(["one", "two", "a&amp;b &lt;c&gt;", "never-existed"]);
    const res = await deleteObjects(xml, { "content-md5": md5B64(xml) });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(xmlBlocks(body, "Deleted").map((d) => xmlValue(d, "Key"))).toEqual(["one", "two", "a&b <c>", "never-existed"]);
    expect(xmlBlocks(body, "Error")).toEqual([]);
    for (const k of ["one", "two", "a&b <c>"]) expect((await acme(`/batch/${encodeURIComponent(k)}`)).status).toBe(404);
  });

  it("in quiet mode reports only errors; a held object is an Error and stays; the audit row has the counts", async () => {
    for (const k of ["q1", "q2", "kept"]) expect((await acme(`/batch/${k}`, { method: "PUT", body: k })).status).toBe(200);
    // S3 object lock needs a lock-enabled (versioned) bucket; in this unversioned one the hold is placed as the compliance side places it.
    await sql`update object_metadata set legal_hold = true where bucket_name = 'batch' and object_key = 'kept'`;
    const res = await deleteObjects(deleteXml(["q1", "kept", "q2"], true));
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(xmlBlocks(body, "Deleted")).toEqual([]);
    const errors = xmlBlocks(body, "Error");
    expect(errors).toHaveLength(1);
    expect(xmlValue(errors[0]!, "Key")).toBe("kept");
    expect(xmlValue(errors[0]!, "Code")).toBe("AccessDenied");
    expect(xmlValue(errors[0]!, "Message")).toContain("legal hold");
    expect((await acme("/batch/kept")).status).toBe(200);
    expect((await acme("/batch/q1")).status).toBe(404);
    const [logged] = await sql`select compliance_info, result from operations_log where operation_type = 'DeleteObjects' and compliance_info->>'quiet' = 'true'`;
    expect(logged).toMatchObject({
      result: "success",
      compliance_info: { requested: 3, deleted: 2, errors: 1, deleted_keys: ["q1", "q2"], failed_keys: [{ key: "kept", code: "AccessDenied" }] },
    });
  });

  it("refuses malformed batches", async () => {
    const cases = [
      deleteXml([]),
      deleteXml(Array.from({ length: 1001 }, (_, i) => `k${i}`)),
      "<Delete><Object><Key>unterminated",
      "<Delete><Object><VersionId>x</VersionId></Object></Delete>",
      "",
    ];
    for (const xml of cases) {
      const res = await deleteObjects(xml);
      expect(res.status).toBe(400);
      expect(await code(res)).toBe("MalformedXML");
    }
    const badDigest = await deleteObjects(deleteXml(["x"]), { "content-md5": md5B64("something else") });
    expect(badDigest.status).toBe(400);
    expect(await code(badDigest)).toBe("BadDigest");
  });

  it("takes keys exactly as sent: surrounding spaces, newlines as character references, CR LF", async () => {
    const keys = [" spaced ", "line\nbreak", "tab\there", "cr\rlf"];
    for (const k of [...keys, "spaced"]) expect((await acme(`/batch/${encodeURIComponent(k)}`, { method: "PUT", body: "x" })).status).toBe(200);
    const xml = deleteXml([" spaced ", "line&#x0A;break", "tab&#9;here", "cr&#xD;lf"]);
    const res = await deleteObjects(xml);
    expect(res.status).toBe(200);
    expect(xmlBlocks(await res.text(), "Deleted").map((d) => xmlValue(d, "Key"))).toEqual(keys);
    for (const k of keys) expect((await acme(`/batch/${encodeURIComponent(k)}`)).status).toBe(404);
    // The key without the spaces is another object, and is untouched.
    expect((await acme("/batch/spaced")).status).toBe(200);
    const cdata = await deleteObjects("<Delete><Object><Key><![CDATA[spaced]]></Key></Object></Delete>");
    expect(cdata.status).toBe(501);
    expect((await acme("/batch/spaced")).status).toBe(200);
  });
});
