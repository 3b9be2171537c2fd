import { createHash, randomBytes } from "node:crypto";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepStaleUploads } from "../src/services/objects/multipart.ts";
import { register, registerWithBuckets, s3, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "./harness.ts";
import { completeXml, md5Hex, tenantBlobCount, xmlBlocks, xmlValue, xmlValues } from "./s3-write-helpers.ts";

const MiB = 1024 * 1024;
let fi: TestRegion;
let acme: ReturnType<typeof s3>;
let sql: postgres.Sql;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  acme = await registerWithBuckets(fi.url, "acme-corp", ["media", "listing", "paging", "misc"]);
  sql = postgresClient(fi.databaseUrl, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

async function create(path: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await acme(`${path}?uploads`, { method: "POST", headers });
  expect(res.status).toBe(200);
  const body = await res.text();
  expect(xmlValue(body, "Key")).toBe(path.split("/").slice(2).join("/"));
  return xmlValue(body, "UploadId")!;
}

async function uploadPart(path: string, uploadId: string, n: number, bytes: Buffer): Promise<string> {
  const res = await acme(`${path}?partNumber=${n}&uploadId=${uploadId}`, { method: "PUT", body: bytes });
  expect(res.status).toBe(200);
  const etag = res.headers.get("etag")!;
  expect(etag).toBe(`"${md5Hex(bytes)}"`);
  return etag;
}

const complete = (path: string, uploadId: string, parts: { n: number; etag: string }[], headers: Record<string, string> = {}) =>
  acme(`${path}?uploadId=${uploadId}`, { method: "POST", body: completeXml(parts), headers });

async function errorCode(res: Response): Promise<string | undefined> {
  return xmlValue(await res.text(), "Code");
}

describe("multipart upload", () => {
  it("assembles parts into one object with the ETag of ETags, replacing a re-uploaded part", async () => {
    const path = "/media/video.bin";
    const blobsBefore = await tenantBlobCount(fi.storageDir, "acme-corp");
    const uploadId = await create(path, { "content-type": "video/mp4", "x-amz-meta-camera": "north", "x-amz-tagging": "project=alpha" });
    expect(uploadId).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1024)];
    const first = await uploadPart(path, uploadId, 1, parts[0]!);
    await uploadPart(path, uploadId, 2, randomBytes(5 * MiB)); // replaced below
    const second = await uploadPart(path, uploadId, 2, parts[1]!);
    const third = await uploadPart(path, uploadId, 3, parts[2]!);
    // The replaced part's bytes are gone: one blob per part number.
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(blobsBefore + 3);

    const res = await complete(path, uploadId, [{ n: 1, etag: first }, { n: 2, etag: second }, { n: 3, etag: third }]);
    expect(res.status).toBe(200);
    const body = await res.text();
    const expectedEtag = `"${md5Hex(Buffer.concat(parts.map((p) => createHash("md5").update(p).digest())))}-3"`;
    expect(xmlValue(body, "ETag")).toBe(expectedEtag);
    expect(xmlValue(body, "Bucket")).toBe("media");
    expect(xmlValue(body, "Key")).toBe("video.bin");
    expect(xmlValue(body, "Location")).toBe(`${fi.url}/s3/media/video.bin`);

    const whole = Buffer.concat(parts);
    // Checksums are answered when asked for, as S3 does.
    const get = await acme(path, { headers: { "x-amz-checksum-mode": "ENABLED" } });
    expect(get.status).toBe(200);
    expect(get.headers.get("etag")).toBe(expectedEtag);
    expect(get.headers.get("content-type")).toBe("video/mp4");
    expect(get.headers.get("x-amz-meta-camera")).toBe("north");
    expect(get.headers.get("x-amz-tagging-count")).toBe("1");
    // A multipart object's checksum is S3's COMPOSITE one: of the parts' SHA-256s, marked -N.
    const composite = createHash("sha256").update(Buffer.concat(parts.map((p) => createHash("sha256").update(p).digest()))).digest("base64");
    expect(get.headers.get("x-amz-checksum-sha256")).toBe(`${composite}-3`);
    expect(Buffer.from(await get.arrayBuffer()).equals(whole)).toBe(true);
    expect((await acme(path, { method: "HEAD" })).headers.get("etag")).toBe(expectedEtag);
    const listed = await (await acme("/media?list-type=2")).text();
    expect(xmlValues(listed, "ETag")).toContain(expectedEtag);
    // Conditional reads compare with the rendered ETag.
    expect((await acme(path, { method: "HEAD", headers: { "if-match": expectedEtag } })).status).toBe(200);
    expect((await acme(path, { method: "HEAD", headers: { "if-none-match": expectedEtag } })).status).toBe(304);

    // The upload's rows are gone; its parts' blobs are now the object's (no second copy was written).
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(blobsBefore + 3);
    expect(await sql`select 1 from multipart_uploads where upload_id = ${uploadId}`).toHaveLength(0);
    const gone = await acme(`${path}?uploadId=${uploadId}`);
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe("NoSuchUpload");
    const [row] = await sql`select etag, parts_count, size_bytes from object_metadata where object_key = 'video.bin'`;
    expect(row).toMatchObject({ etag: expectedEtag.slice(1, -3), parts_count: 3, size_bytes: String(whole.length) });
  });

  it("refuses part lists out of order, with unknown parts or wrong ETags, or with small inner parts; the upload survives", async () => {
    const path = "/media/rules.bin";
    const uploadId = await create(path);
    const big = randomBytes(5 * MiB);
    const p1 = await uploadPart(path, uploadId, 1, big);
    const p2 = await uploadPart(path, uploadId, 2, Buffer.from("small two"));
    const p3 = await uploadPart(path, uploadId, 3, Buffer.from("small three"));

    const outOfOrder = await complete(path, uploadId, [{ n: 2, etag: p2 }, { n: 1, etag: p1 }]);
    expect(outOfOrder.status).toBe(400);
    expect(await errorCode(outOfOrder)).toBe("InvalidPartOrder");
    const duplicate = await complete(path, uploadId, [{ n: 1, etag: p1 }, { n: 1, etag: p1 }]);
    expect(await errorCode(duplicate)).toBe("InvalidPartOrder");
    const wrongEtag = await complete(path, uploadId, [{ n: 1, etag: `"${md5Hex("other")}"` }]);
    expect(wrongEtag.status).toBe(400);
    expect(await errorCode(wrongEtag)).toBe("InvalidPart");
    const missing = await complete(path, uploadId, [{ n: 1, etag: p1 }, { n: 4, etag: p3 }]);
    expect(await errorCode(missing)).toBe("InvalidPart");
    const tooSmall = await complete(path, uploadId, [{ n: 1, etag: p1 }, { n: 2, etag: p2 }, { n: 3, etag: p3 }]);
    expect(tooSmall.status).toBe(400);
    expect(await errorCode(tooSmall)).toBe("EntityTooSmall");
    const none = await complete(path, uploadId, []);
    expect(await errorCode(none)).toBe("MalformedXML");
    const garbage = await acme(`${path}?uploadId=${uploadId}`, { method: "POST", body: "<CompleteMultipartUpload><Part>" });
    expect(await errorCode(garbage)).toBe("MalformedXML");
    expect((await acme(path)).status).toBe(404);

    // Only the last part may be small, and a part may be left out (its bytes are removed).
    const blobsBefore = await tenantBlobCount(fi.storageDir, "acme-corp");
    const ok = await complete(path, uploadId, [{ n: 1, etag: p1.slice(1, -1) }, { n: 3, etag: p3 }]);
    expect(ok.status).toBe(200);
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(blobsBefore - 1);
    const got = Buffer.from(await (await acme(path)).arrayBuffer());
    expect(got.equals(Buffer.concat([big, Buffer.from("small three")]))).toBe(true);
  });

  it("refuses bad part numbers and unknown uploads", async () => {
    const path = "/misc/numbers.bin";
    const uploadId = await create(path);
    for (const n of ["0", "10001", "x"]) {
      const res = await acme(`${path}?partNumber=${n}&uploadId=${uploadId}`, { method: "PUT", body: "a" });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("InvalidArgument");
    }
    const unknown = await acme(`${path}?partNumber=1&uploadId=nope`, { method: "PUT", body: "a" });
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe("NoSuchUpload");
    // An upload id is bound to its key: it does not address another key's upload.
    const elsewhere = await acme(`/misc/other.bin?partNumber=1&uploadId=${uploadId}`, { method: "PUT", body: "a" });
    expect(elsewhere.status).toBe(404);
    const otherCustomer = await registerWithBuckets(fi.url, "globex", ["misc"], { customer_name: "Globex" });
    expect((await otherCustomer(`${path}?partNumber=1&uploadId=${uploadId}`, { method: "PUT", body: "a" })).status).toBe(404);
  });

  it("abort removes the parts' bytes and rows; the upload is then unknown", async () => {
    const path = "/misc/aborted.bin";
    const before = await tenantBlobCount(fi.storageDir, "acme-corp");
    const uploadId = await create(path);
    await uploadPart(path, uploadId, 1, randomBytes(1000));
    await uploadPart(path, uploadId, 2, randomBytes(1000));
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(before + 2);
    expect((await acme(`${path}?uploadId=${uploadId}`, { method: "DELETE" })).status).toBe(204);
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(before);
    expect(await sql`select 1 from multipart_parts where upload_id = ${uploadId}`).toHaveLength(0);
    const again = await acme(`${path}?uploadId=${uploadId}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(await errorCode(again)).toBe("NoSuchUpload");
    const late = await acme(`${path}?partNumber=3&uploadId=${uploadId}`, { method: "PUT", body: "late" });
    expect(await errorCode(late)).toBe("NoSuchUpload");
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(before);
  });

  it("ListParts pages by part number", async () => {
    const path = "/misc/parts.bin";
    const uploadId = await create(path);
    for (let n = 1; n <= 5; n++) await uploadPart(path, uploadId, n, Buffer.from(`part ${n}`));
    const seen: string[] = [];
    let marker = "0";
    let pages = 0;
    for (;;) {
      const body = await (await acme(`${path}?uploadId=${uploadId}&max-parts=2&part-number-marker=${marker}`)).text();
      pages++;
      expect(xmlValue(body, "UploadId")).toBe(uploadId);
      expect(xmlValue(body, "MaxParts")).toBe("2");
      const parts = xmlBlocks(body, "Part");
      for (const p of parts) {
        seen.push(xmlValue(p, "PartNumber")!);
        expect(xmlValue(p, "Size")).toBe("6");
        expect(xmlValue(p, "ETag")).toBe(`"${md5Hex(`part ${xmlValue(p, "PartNumber")}`)}"`);
      }
      if (xmlValue(body, "IsTruncated") !== "true") break;
      marker = xmlValue(body, "NextPartNumberMarker")!;
      expect(marker).toBe(seen.at(-1));
    }
    expect(seen).toEqual(["1", "2", "3", "4", "5"]);
    expect(pages).toBe(3);
    expect((await acme(`${path}?uploadId=${uploadId}&max-parts=many`)).status).toBe(400);
  });

  it("ListMultipartUploads lists uploads in key order, paged by key and upload id, grouped by delimiter", async () => {
    const keys = ["a/1", "a/2", "b", "b", "c"];
    const ids: string[] = [];
    for (const k of keys) ids.push(await create(`/listing/${k}`));
    const all = await (await acme("/listing?uploads")).text();
    expect(xmlBlocks(all, "Upload").map((u) => xmlValue(u, "Key"))).toEqual(keys);
    expect(xmlBlocks(all, "Upload").map((u) => xmlValue(u, "UploadId"))).toEqual(ids);
    expect(xmlValue(all, "IsTruncated")).toBe("false");

    const paged: string[] = [];
    let query = "";
    for (let i = 0; i < 5; i++) {
      const body = await (await acme(`/listing?uploads&max-uploads=2${query}`)).text();
      paged.push(...xmlBlocks(body, "Upload").map((u) => xmlValue(u, "UploadId")!));
      if (xmlValue(body, "IsTruncated") !== "true") break;
      query = `&key-marker=${encodeURIComponent(xmlValue(body, "NextKeyMarker")!)}&upload-id-marker=${xmlValue(body, "NextUploadIdMarker")}`;
    }
    expect(paged).toEqual(ids);

    const grouped = await (await acme("/listing?uploads&delimiter=/")).text();
    expect(xmlValues(grouped, "Prefix")).toContain("a/");
    expect(xmlBlocks(grouped, "Upload").map((u) => xmlValue(u, "Key"))).toEqual(["b", "b", "c"]);
    const prefixed = await (await acme("/listing?uploads&prefix=a/")).text();
    expect(xmlBlocks(prefixed, "Upload").map((u) => xmlValue(u, "Key"))).toEqual(["a/1", "a/2"]);
    const afterB = await (await acme("/listing?uploads&key-marker=b")).text();
    expect(xmlBlocks(afterB, "Upload").map((u) => xmlValue(u, "Key"))).toEqual(["c"]);
  });

  it("copies ranges of an object into parts (UploadPartCopy)", async () => {
    const source = randomBytes(6 * MiB);
    expect((await acme("/misc/source.bin", { method: "PUT", body: source })).status).toBe(200);
    const path = "/misc/copied.bin";
    const uploadId = await create(path);
    const etags: string[] = [];
    for (const [n, range] of [[1, `bytes=0-${5 * MiB - 1}`], [2, `bytes=${5 * MiB}-${6 * MiB - 1}`]] as const) {
      const res = await acme(`${path}?partNumber=${n}&uploadId=${uploadId}`, { method: "PUT", headers: { "x-amz-copy-source": "/misc/source.bin", "x-amz-copy-source-range": range } });
      expect(res.status).toBe(200);
      etags.push(xmlValue(await res.text(), "ETag")!);
    }
    const outside = await acme(`${path}?partNumber=3&uploadId=${uploadId}`, { method: "PUT", headers: { "x-amz-copy-source": "/misc/source.bin", "x-amz-copy-source-range": `bytes=0-${6 * MiB}` } });
    expect(outside.status).toBe(416);
    expect(xmlValue(await outside.text(), "Code")).toBe("InvalidRange");
    for (const range of ["0-2", "bytes=0", "bytes=hello-world", "bytes=0-bar", "bytes=hello-", "bytes=0-2,3-5", "bytes=5-2"]) {
      const malformed = await acme(`${path}?partNumber=3&uploadId=${uploadId}`, { method: "PUT", headers: { "x-amz-copy-source": "/misc/source.bin", "x-amz-copy-source-range": range } });
      expect([range, malformed.status, xmlValue(await malformed.text(), "Code")]).toEqual([range, 400, "InvalidArgument"]);
    }
    expect((await complete(path, uploadId, etags.map((etag, i) => ({ n: i + 1, etag })))).status).toBe(200);
    expect(Buffer.from(await (await acme(path)).arrayBuffer()).equals(source)).toBe(true);
  });

  it("refuses completing onto a held key and honours If-None-Match at completion", async () => {
    const path = "/misc/held.bin";
    expect((await acme(path, { method: "PUT", body: "original" })).status).toBe(200);
    const uploadId = await create(path);
    const etag = await uploadPart(path, uploadId, 1, Buffer.from("replacement"));
    expect((await complete(path, uploadId, [{ n: 1, etag }], { "if-none-match": "*" })).status).toBe(412);
    // S3 object lock needs a lock-enabled (versioned) bucket; in this unversioned one the hold is placed as the compliance side places it.
    await sql`update object_metadata set legal_hold = true where bucket_name = 'misc' and object_key = 'held.bin'`;
    const refused = await complete(path, uploadId, [{ n: 1, etag }]);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe("AccessDenied");
    expect(await (await acme(path)).text()).toBe("original");
    // A new upload onto the held key is refused at once.
    expect((await acme(`${path}?uploads`, { method: "POST" })).status).toBe(403);
    await sql`update object_metadata set legal_hold = false where bucket_name = 'misc' and object_key = 'held.bin'`;
    expect((await complete(path, uploadId, [{ n: 1, etag }])).status).toBe(200);
    expect(await (await acme(path)).text()).toBe("replacement");
  });

  it("checks residency at create: a violation stores nothing, is logged and raises an event", async () => {
    // A US customer that must stay in its jurisdiction cannot be homed in the EU region at all.
    const misplaced = await register(fi.url, "us-misplaced", { customer_name: "US Corp", country: "US", data_residency_requirement: "jurisdiction" });
    expect(misplaced.status).toBe(400);
    expect(((await misplaced.json()) as { error: { message: string } }).error.message).toMatch(/legal zone mismatch.*US.*FI-HEL/);

    // A misconfigured deployment still meets the gate at create: this Helsinki region's hosted
    // storage is in Sweden, and a strict Finnish customer's bytes must stay in Finland.
    const hel = TEST_TOPOLOGY.regions.find((r) => r.region_id === "FI-HEL")!;
    const se = await startTestRegion("FI-HEL", { region: { ...hel, provider: { ...hel.provider, country: "SE" } } });
    const seSql = postgresClient(se.databaseUrl, { max: 1 });
    try {
      expect((await register(se.url, "fi-strict", { customer_name: "FI Corp", country: "Finland", data_residency_requirement: "strict" })).status).toBe(201);
      const fiStrict = s3(se.url, "fi-strict");
      expect((await fiStrict("/records", { method: "PUT" })).status).toBe(200);
      const res = await fiStrict("/records/big.bin?uploads", { method: "POST" });
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe("DataResidencyViolation");
      expect(await seSql`select 1 from multipart_uploads where customer_id = 'fi-strict'`).toHaveLength(0);
      expect(await tenantBlobCount(se.storageDir, "fi-strict")).toBe(0);
      const [event] = await seSql`select event_type, severity from compliance_events where customer_id = 'fi-strict'`;
      expect(event).toMatchObject({ event_type: "data_residency_violation", severity: "high" });
      const [logged] = await seSql`select result, error_code from operations_log where customer_id = 'fi-strict' and operation_type = 'CreateMultipartUpload'`;
      expect(logged).toMatchObject({ result: "denied", error_code: "DataResidencyViolation" });
    } finally {
      await seSql.end();
      await se.destroy();
    }
  });

  it("sweeps uploads older than the cut-off, leaving exactly the objects' bytes", async () => {
    const path = "/paging/stale.bin";
    const uploadId = await create(path);
    await uploadPart(path, uploadId, 1, Buffer.from("stale"));
    expect(await sweepStaleUploads(fi.deps, new Date(Date.now() - 7 * 86_400_000))).toBe(0);
    expect((await acme(`${path}?uploadId=${uploadId}`)).status).toBe(200);
    // Every upload of this file's tests is older than a minute from now.
    expect(await sweepStaleUploads(fi.deps, new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
    expect((await acme(`${path}?uploadId=${uploadId}`)).status).toBe(404);
    expect(await sql`select 1 from multipart_uploads`).toHaveLength(0);
    // A plain object is one blob; a multipart object is its parts' blobs.
    const [objects] = await sql`select (select count(*) from object_metadata where customer_id = 'acme-corp' and storage_key not like '%/parts/%')::int
      + (select count(*) from object_parts where customer_id = 'acme-corp')::int as n`;
    expect(await tenantBlobCount(fi.storageDir, "acme-corp")).toBe(objects!.n);
  });
});
