import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { FsProvider } from "@s3gw/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageTargets } from "../src/services/storage/storage-targets.ts";
import { createAccessKey, curlForm, signedForm } from "./browser-helpers.ts";
import { MARKER, MIB, SEG, filesUnder, marked, multipartUpload, patterned, plaintextFiles, s3Code, sha, startSealedRegion, sseCHeaders, type SealedRegion } from "./encryption-at-rest-helpers.ts";
import { registerWithBuckets, s3 } from "./harness.ts";
import { completeXml, xmlValue } from "./s3-write-helpers.ts";
import { migrate } from "./storage-migration-helpers.ts";

// Encryption at rest end to end on one real region: what lands on disk for every write path,
// ranged reads over 256 KiB segments, and a migration between targets (sealed all the way).
let r: SealedRegion;
beforeAll(async () => {
  r = await startSealedRegion();
}, 60_000);
afterAll(async () => {
  await r?.stop();
});

describe("bytes on disk are never plaintext", () => {
  it("PutObject, multipart parts, CopyObject, POST form and UploadPartCopy all store ciphertext only", async () => {
    const acme = await registerWithBuckets(r.fi.url, "disk-co", ["vault"]);
    const small = marked(200 * 1024);
    expect((await acme("/vault/put.bin", { method: "PUT", body: small })).status).toBe(200);
    expect((await acme("/vault/empty-ish.txt", { method: "PUT", body: MARKER })).status).toBe(200);
    const mp = await multipartUpload(acme, "/vault/multi.bin", [marked(5 * MIB), marked(300 * 1024)]);
    expect((await mp.complete()).status).toBe(200);
    expect((await acme("/vault/copy.bin", { method: "PUT", headers: { "x-amz-copy-source": "/vault/put.bin" } })).status).toBe(200);
    expect((await acme("/vault/copy-multi.bin", { method: "PUT", headers: { "x-amz-copy-source": "/vault/multi.bin" } })).status).toBe(200);
    // UploadPartCopy: a part copied from an object, then completed.
    const created = await acme("/vault/part-copy.bin?uploads", { method: "POST" });
    const uploadId = xmlValue(await created.text(), "UploadId")!;
    const pc = await acme(`/vault/part-copy.bin?partNumber=1&uploadId=${uploadId}`, { method: "PUT", headers: { "x-amz-copy-source": "/vault/put.bin" } });
    expect(pc.status).toBe(200);
    const pcEtag = xmlValue(await pc.text(), "ETag")!.replaceAll("&quot;", '"');
    expect((await acme(`/vault/part-copy.bin?uploadId=${uploadId}`, { method: "POST", body: completeXml([{ n: 1, etag: pcEtag }]) })).status).toBe(200);
    // A browser form upload (POST object, SigV4-signed policy).
    const key = await createAccessKey(r.fi.url, "disk-co");
    const fields = signedForm(key, { bucket: "vault", fields: [["key", "form/${filename}"]], conditions: [["starts-with", "$key", "form/"], ["content-length-range", 1, MIB]] });
    const posted = await curlForm(`${r.fi.url}/vault`, fields, { name: "form.bin", content: marked(100 * 1024) });
    expect(posted.status).toBe(204);

    for (const [k, body] of [["put.bin", small], ["copy.bin", small], ["part-copy.bin", small], ["form/form.bin", marked(100 * 1024)], ["empty-ish.txt", MARKER]] as const) {
      const res = await acme(`/vault/${k}`);
      expect(res.status, k).toBe(200);
      expect(sha(Buffer.from(await res.arrayBuffer())), k).toBe(sha(body));
    }
    for (const k of ["multi.bin", "copy-multi.bin"]) {
      const res = await acme(`/vault/${k}`);
      expect(sha(Buffer.from(await res.arrayBuffer())), k).toBe(sha(Buffer.concat([marked(5 * MIB), marked(300 * 1024)])));
    }
    // Each blob has its own data key: a single-blob object's row holds it, a multipart object's parts hold theirs.
    const rows = await r.sql`select object_key, encryption->>'mode' as mode, encryption->'dataKey'->>'scheme' as scheme, storage_key like 'composite:%' or encryption->'dataKey' is null as composite from object_metadata where customer_id = 'disk-co'`;
    expect(rows).toHaveLength(7);
    for (const r of rows) expect([r.object_key, r.mode, r.composite ? "parts" : r.scheme]).toEqual([r.object_key, "AES256",  ["multi.bin", "part-copy.bin"].includes(r.object_key) ? "parts" : "seg256k-gcm-v1"]);
    const parts = await r.sql`select encryption->'dataKey'->>'scheme' as scheme, encryption->'dataKey'->>'wrapped' as wrapped from object_parts where customer_id = 'disk-co'`;
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) expect(p.scheme).toBe("seg256k-gcm-v1");
    expect(new Set(parts.map((p) => p.wrapped)).size).toBe(parts.length);
    expect((await filesUnder(r.fi.storageDir)).length).toBeGreaterThanOrEqual(7);
    expect(await plaintextFiles(r.fi.storageDir)).toEqual([]);
  }, 60_000);
});

describe("ranged reads across 256 KiB segments", () => {
  const whole = patterned(5 * SEG + 1234);
  const parts = [patterned(5 * MIB), patterned(3 * SEG + 77)];
  const joined = Buffer.concat(parts);
  let acme: ReturnType<typeof s3>;
  beforeAll(async () => {
    acme = await registerWithBuckets(r.fi.url, "range-co", ["ranges"]);
    expect((await acme("/ranges/whole.bin", { method: "PUT", body: whole })).status).toBe(200);
    const mp = await multipartUpload(acme, "/ranges/multi.bin", parts);
    expect((await mp.complete()).status).toBe(200);
  }, 60_000);

  const read = async (key: string, range: string) => {
    const res = await acme(`/ranges/${key}`, { headers: { range } });
    expect(res.status, range).toBe(206);
    return { body: Buffer.from(await res.arrayBuffer()), contentRange: res.headers.get("content-range") };
  };

  it("a single-blob object: across one and several boundaries, inside one segment, whole segments, suffix and open ranges", async () => {
    const n = whole.length;
    const cases: [string, number, number][] = [
      [`bytes=${SEG - 10}-${SEG + 9}`, SEG - 10, SEG + 9],
      [`bytes=${SEG - 1}-${SEG}`, SEG - 1, SEG],
      [`bytes=100-200`, 100, 200],
      [`bytes=${2 * SEG + 5}-${2 * SEG + 6}`, 2 * SEG + 5, 2 * SEG + 6],
      [`bytes=${SEG}-${2 * SEG - 1}`, SEG, 2 * SEG - 1],
      [`bytes=10-${4 * SEG + 3}`, 10, 4 * SEG + 3],
      [`bytes=-1000`, n - 1000, n - 1],
      [`bytes=-${SEG + 1300}`, n - SEG - 1300, n - 1],
      [`bytes=${5 * SEG - 3}-`, 5 * SEG - 3, n - 1],
      [`bytes=${n - 1}-${n + 500}`, n - 1, n - 1],
    ];
    for (const [range, start, end] of cases) {
      const got = await read("whole.bin", range);
      expect(got.contentRange, range).toBe(`bytes ${start}-${end}/${n}`);
      expect(got.body.equals(whole.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it("a multipart object: across the part boundary, across segments inside a part, suffix ranges into the last part", async () => {
    const n = joined.length;
    const p1 = parts[0]!.length;
    const cases: [string, number, number][] = [
      [`bytes=${p1 - SEG - 5}-${p1 + SEG + 5}`, p1 - SEG - 5, p1 + SEG + 5],
      [`bytes=${p1 - 1}-${p1}`, p1 - 1, p1],
      [`bytes=${3 * SEG - 2}-${3 * SEG + 1}`, 3 * SEG - 2, 3 * SEG + 1],
      [`bytes=${p1 + 10}-${p1 + 20}`, p1 + 10, p1 + 20],
      [`bytes=-${SEG + 9}`, n - SEG - 9, n - 1],
      [`bytes=-${n - 100}`, 100, n - 1],
      [`bytes=${p1 + 2 * SEG}-`, p1 + 2 * SEG, n - 1],
    ];
    for (const [range, start, end] of cases) {
      const got = await read("multi.bin", range);
      expect(got.contentRange, range).toBe(`bytes ${start}-${end}/${n}`);
      expect(got.body.equals(joined.subarray(start, end + 1)), range).toBe(true);
    }
  });
});

describe("storage migration between targets keeps objects encrypted end to end", () => {
  it("copies sealed bytes only: no plaintext on the destination, rows keep their data keys, SSE-C still needs its key", async () => {
    const mover = await registerWithBuckets(r.fi.url, "mover-co", ["moving"], { data_residency_requirement: "jurisdiction" });
    const ck = randomBytes(32);
    const sseC = sseCHeaders(ck);
    expect((await mover("/moving/a.bin", { method: "PUT", body: marked(3 * SEG + 5) })).status).toBe(200);
    expect((await mover("/moving/c.bin", { method: "PUT", body: marked(2 * SEG), headers: sseC })).status).toBe(200);
    const mp = await multipartUpload(mover, "/moving/multi.bin", [marked(5 * MIB), marked(SEG)]);
    expect((await mp.complete()).status).toBe(200);
    const before = await r.keyVersionOf("mover-co", "a.bin");
    const keyBefore = (await r.sql`select storage_key from object_metadata where customer_id = 'mover-co' and object_key = 'a.bin'`)[0]!.storage_key;
    const destDir = await mkdtemp(join(tmpdir(), "s3gw-sse-migration-"));
    const hosted = r.fi.deps.targets;
    try {
      const destination = new FsProvider(destDir, { providerId: "mover-dest", regionId: "FI-HEL", country: "FI" });
      await destination.init();
      await r.sql`insert into storage_targets (target_id, customer_id, provider_label, region, country, bucket, access_key_id, secret_ciphertext, secret_fingerprint)
                values ('mover-dest', 'mover-co', 'test-fs', 'eu-north-1', 'FI', 'dest', 'n/a', 'n/a', 'n/a')`;
      r.fi.deps.targets = new StorageTargets({ hosted: r.fi.deps.storage, db: r.fi.deps.db, customerProvider: () => destination });
      const run = await migrate(r.fi.url, { customer_id: "mover-co", from_target: "fi-hel-fs", to_target: "mover-dest" });
      expect(run).toMatchObject({ status: "completed", migrated: 3, failed: 0 });
      const rows = await r.sql`select object_key, storage_provider_id from object_metadata where customer_id = 'mover-co' order by object_key`;
      expect(rows.map((r) => [r.object_key, r.storage_provider_id])).toEqual([["a.bin", "mover-dest"], ["c.bin", "mover-dest"], ["multi.bin", "mover-dest"]]);
      // Two single blobs and two parts landed there, every one sealed.
      expect((await filesUnder(destDir)).length).toBeGreaterThanOrEqual(4);
      expect(await plaintextFiles(destDir)).toEqual([]);
      expect(await plaintextFiles(r.fi.storageDir)).toEqual([]);
      // The copy is sealed under the same data key (so its wrapped key in the row stays valid), at a new place.
      const after = await r.keyVersionOf("mover-co", "a.bin");
      expect(after.w).toBe(before.w);
      const keyAfter = (await r.sql`select storage_key from object_metadata where customer_id = 'mover-co' and object_key = 'a.bin'`)[0]!.storage_key;
      expect(keyAfter).not.toBe(keyBefore);
      expect(sha(Buffer.from(await (await mover("/moving/a.bin")).arrayBuffer()))).toBe(sha(marked(3 * SEG + 5)));
      expect(sha(Buffer.from(await (await mover("/moving/multi.bin")).arrayBuffer()))).toBe(sha(Buffer.concat([marked(5 * MIB), marked(SEG)])));
      expect(sha(Buffer.from(await (await mover("/moving/c.bin", { headers: sseC })).arrayBuffer()))).toBe(sha(marked(2 * SEG)));
      expect(await s3Code(await mover("/moving/c.bin"))).toEqual([400, "InvalidRequest"]);
    } finally {
      r.fi.deps.targets = hosted;
      await rm(destDir, { recursive: true, force: true });
    }
  }, 60_000);
});
