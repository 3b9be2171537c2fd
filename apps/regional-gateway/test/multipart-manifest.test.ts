import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { FsProvider } from "@s3gw/storage";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepHostedStorage } from "../src/deps.ts";
import { recordManifest } from "../src/services/objects/multipart-manifest.ts";
import { recoverMigrationItems } from "../src/services/storage/storage-migration-recovery.ts";
import { StorageTargets } from "../src/services/storage/storage-targets.ts";
import { gdprApi, json } from "./gdpr-helpers.ts";
import { adminAuth, mintToken, registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";
import { completeXml, md5Hex, xmlValue } from "./s3-write-helpers.ts";
import { migrate } from "./storage-migration-helpers.ts";

// Multipart objects kept as their parts (object_parts): read, ranged, copied, verified,
// migrated, deleted, swept and erased without CompleteMultipartUpload writing a second copy.
const MiB = 1024 * 1024;
let fi: TestRegion;
let sql: postgres.Sql;
let acme: Awaited<ReturnType<typeof registerWithBuckets>>;
let destDir: string;

const sha = (b: Buffer) => createHash("sha256").update(b).digest();
const composite = (parts: Buffer[]) => `${createHash("sha256").update(Buffer.concat(parts.map(sha))).digest("base64")}-${parts.length}`;

/** Every blob file under the customer's tenant prefix, relative to the storage dir (its storage keys). */
async function blobs(dir = fi.storageDir): Promise<string[]> {
  const entries = await readdir(join(dir, "tenant-parts-co"), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

/** Uploads `parts` as one multipart object and completes it; returns the Complete answer and the object's row. */
async function multipart(path: string, parts: Buffer[], headers: Record<string, string> = {}) {
  const created = await acme(`${path}?uploads`, { method: "POST", headers });
  expect(created.status).toBe(200);
  const uploadId = xmlValue(await created.text(), "UploadId")!;
  const etags: string[] = [];
  for (const [i, part] of parts.entries()) {
    const res = await acme(`${path}?partNumber=${i + 1}&uploadId=${uploadId}`, { method: "PUT", body: part });
    expect(res.status).toBe(200);
    etags.push(res.headers.get("etag")!);
  }
  const afterParts = await blobs();
  const done = await acme(`${path}?uploadId=${uploadId}`, { method: "POST", body: completeXml(etags.map((etag, i) => ({ n: i + 1, etag }))) });
  expect(done.status).toBe(200);
  const etag = xmlValue(await done.text(), "ETag")!;
  const [row] = await sql`select object_id, storage_key, storage_provider_id, sha256, etag, parts_count, size_bytes from object_metadata
                          where customer_id = 'parts-co' and object_key = ${path.split("/").slice(2).join("/")}`;
  return { etag, row: row!, afterParts };
}

const manifest = (key: string) => sql`select part_number, offset_bytes, size_bytes, storage_key, storage_provider_id from object_parts where manifest_key = ${key} order by part_number`;

async function bytesOf(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; res: Response }> {
  const res = await acme(path, { headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), res };
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "parts-co", ["media", "copies"], { customer_name: "Parts Co", country: "FI", data_residency_requirement: "jurisdiction" });
  // A customer bucket target (a directory here) for the migration test; everything else stays on hosted storage.
  destDir = await mkdtemp(join(tmpdir(), "s3gw-manifest-dest-"));
  const destination = new FsProvider(destDir, { providerId: "parts-dest", regionId: "FI-HEL", country: "DE" });
  await destination.init();
  await sql`insert into storage_targets (target_id, customer_id, provider_label, region, country, bucket, access_key_id, secret_ciphertext, secret_fingerprint)
            values ('parts-dest', 'parts-co', 'test-fs', 'eu-central-1', 'DE', 'dest', 'n/a', 'n/a', 'n/a')`;
  fi.deps.targets = new StorageTargets({ hosted: fi.deps.storage, db: fi.deps.db, customerProvider: () => destination });
}, 60_000);
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
  await rm(destDir, { recursive: true, force: true });
});

describe("multipart objects kept as their parts", () => {
  it("Complete writes no second copy: the object's bytes are the parts' blobs, read whole, ranged across parts, and headed", async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
    const whole = Buffer.concat(parts);
    const before = await blobs();
    const { etag, row, afterParts } = await multipart("/media/film.bin", parts, { "content-type": "video/mp4" });
    // The storage dir holds exactly the parts' blobs, before and after Complete: nothing was written.
    expect(afterParts).toHaveLength(before.length + 3);
    expect(await blobs()).toEqual(afterParts);
    expect(row.storage_key).toMatch(/^tenant-parts-co\/parts\/[0-9a-f-]{36}$/);
    const rows = await manifest(row.storage_key);
    expect(rows.map((r) => [r.part_number, Number(r.offset_bytes), Number(r.size_bytes)])).toEqual([[1, 0, 5 * MiB], [2, 5 * MiB, 5 * MiB], [3, 10 * MiB, 1000]]);
    expect(rows.map((r) => r.storage_key).every((k) => afterParts.includes(k))).toBe(true);
    expect(etag).toBe(`"${md5Hex(Buffer.concat(parts.map((p) => createHash("md5").update(p).digest())))}-3"`);
    expect(row.sha256).toBe(`${createHash("sha256").update(Buffer.concat(parts.map(sha))).digest("hex")}-3`);

    const got = await bytesOf("/media/film.bin", { "x-amz-checksum-mode": "ENABLED" });
    expect(got.status).toBe(200);
    expect(got.body.equals(whole)).toBe(true);
    expect(got.res.headers.get("x-amz-checksum-sha256")).toBe(composite(parts));
    const head = await acme("/media/film.bin", { method: "HEAD", headers: { "x-amz-checksum-mode": "ENABLED" } });
    expect(head.headers.get("content-length")).toBe(String(whole.length));
    expect(head.headers.get("etag")).toBe(etag);
    expect(head.headers.get("x-amz-checksum-type")).toBe("COMPOSITE");

    const b = 5 * MiB;
    for (const [first, last] of [[b - 10, b + 9], [10, whole.length - 10], [2 * b + 5, 2 * b + 5], [b, 2 * b - 1], [b - 1, b], [0, 0]] as const) {
      const r = await bytesOf("/media/film.bin", { range: `bytes=${first}-${last}` });
      expect(r.status).toBe(206);
      expect(r.res.headers.get("content-range")).toBe(`bytes ${first}-${last}/${whole.length}`);
      expect(r.body.equals(whole.subarray(first, last + 1)), `bytes ${first}-${last}`).toBe(true);
    }
    const suffix = await bytesOf("/media/film.bin", { range: "bytes=-1500" });
    expect(suffix.body.equals(whole.subarray(whole.length - 1500))).toBe(true);
    const open = await bytesOf("/media/film.bin", { range: `bytes=${b + 3}-` });
    expect(open.body.equals(whole.subarray(b + 3))).toBe(true);
  });

  it("serves a small multipart object (read whole and checked before the first byte) and empty parts", async () => {
    const { row } = await multipart("/media/tiny.txt", [Buffer.from("just one small part")]);
    expect(row.parts_count).toBe(1);
    expect((await bytesOf("/media/tiny.txt")).body.toString()).toBe("just one small part");
    expect((await bytesOf("/media/tiny.txt", { range: "bytes=5-7" })).body.toString()).toBe("one");
    const empty = await multipart("/media/empty.bin", [Buffer.alloc(0)]);
    expect(empty.row.size_bytes).toBe("0");
    const got = await bytesOf("/media/empty.bin");
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(0);
  });

  it("copies a multipart object whole (CopyObject) and by ranges across its parts (UploadPartCopy)", async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(2 * MiB)];
    const whole = Buffer.concat(parts);
    await multipart("/media/source.bin", parts);
    const copied = await acme("/copies/whole.bin", { method: "PUT", headers: { "x-amz-copy-source": "/media/source.bin" } });
    expect(copied.status).toBe(200);
    // The copy is a plain object: its ETag and SHA-256 are of its bytes.
    expect(xmlValue(await copied.text(), "ETag")).toBe(`"${md5Hex(whole)}"`);
    expect((await bytesOf("/copies/whole.bin")).body.equals(whole)).toBe(true);
    const [copyRow] = await sql`select sha256 from object_metadata where object_key = 'whole.bin'`;
    expect(copyRow!.sha256).toBe(createHash("sha256").update(whole).digest("hex"));

    const created = await acme("/copies/spliced.bin?uploads", { method: "POST" });
    const uploadId = xmlValue(await created.text(), "UploadId")!;
    const ranges = [[0, 5 * MiB + 99], [5 * MiB + 100, whole.length - 1]] as const;
    const etags: string[] = [];
    for (const [i, [first, last]] of ranges.entries()) {
      const res = await acme(`/copies/spliced.bin?partNumber=${i + 1}&uploadId=${uploadId}`, {
        method: "PUT",
        headers: { "x-amz-copy-source": "/media/source.bin", "x-amz-copy-source-range": `bytes=${first}-${last}` },
      });
      expect(res.status).toBe(200);
      etags.push(xmlValue(await res.text(), "ETag")!);
    }
    expect((await acme(`/copies/spliced.bin?uploadId=${uploadId}`, { method: "POST", body: completeXml(etags.map((etag, i) => ({ n: i + 1, etag }))) })).status).toBe(200);
    expect((await bytesOf("/copies/spliced.bin")).body.equals(whole)).toBe(true);
  });

  it("delete and overwrite remove the parts' bytes; a manifest a crash left behind is swept with its bytes", async () => {
    const a = await multipart("/media/deleted.bin", [randomBytes(5 * MiB), randomBytes(10)]);
    const aParts = (await manifest(a.row.storage_key)).map((r) => r.storage_key as string);
    expect((await acme("/media/deleted.bin", { method: "DELETE" })).status).toBe(204);
    expect((await blobs()).filter((k) => aParts.includes(k))).toEqual([]);
    expect(await manifest(a.row.storage_key)).toHaveLength(0);

    const b = await multipart("/media/overwritten.bin", [randomBytes(5 * MiB), randomBytes(10)]);
    const bParts = (await manifest(b.row.storage_key)).map((r) => r.storage_key as string);
    expect((await acme("/media/overwritten.bin", { method: "PUT", body: "plain now" })).status).toBe(200);
    expect((await blobs()).filter((k) => bParts.includes(k))).toEqual([]);
    expect(await manifest(b.row.storage_key)).toHaveLength(0);
    expect((await bytesOf("/media/overwritten.bin")).body.toString()).toBe("plain now");

    // A crash between the delete's commit and dropping the manifest: the row is gone, the manifest and parts are not.
    const c = await multipart("/media/crashed.bin", [randomBytes(5 * MiB), randomBytes(10)]);
    const cParts = (await manifest(c.row.storage_key)).map((r) => r.storage_key as string);
    const live = await multipart("/media/live.bin", [randomBytes(5 * MiB), randomBytes(10)]);
    const liveParts = (await manifest(live.row.storage_key)).map((r) => r.storage_key as string);
    await sql`delete from object_metadata where object_id = ${c.row.object_id}`;
    expect((await blobs()).filter((k) => cParts.includes(k))).toHaveLength(2);
    // The sweep as it runs an hour from now: every blob is past its grace period.
    const later = { ...fi.deps, clock: { now: () => new Date(Date.now() + 3_600_000) } };
    await sweepHostedStorage(later);
    expect(await manifest(c.row.storage_key)).toHaveLength(0);
    const left = await blobs();
    expect(left.filter((k) => cParts.includes(k))).toEqual([]);
    // A live multipart object's parts are in use: the sweep keeps them, and the object reads whole.
    expect(liveParts.every((k) => left.includes(k))).toBe(true);
    expect((await bytesOf("/media/live.bin")).status).toBe(200);
  });

  it("integrity verification and reads detect a damaged or missing part, naming the part", async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(100)];
    const { row } = await multipart("/media/tampered.bin", parts);
    const rows = await manifest(row.storage_key);
    const verify = async () => {
      const res = await fetch(`${fi.url}/api/objects/verify`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ customer_id: "parts-co", bucket: "media", key: "tampered.bin" }) });
      expect(res.status).toBe(200);
      return (await res.json()) as { checked: number; ok: number; mismatched: { reason: string; expected_sha256: string; actual_sha256: string | null }[] };
    };
    expect(await verify()).toMatchObject({ checked: 1, ok: 1, mismatched: [] });

    // The second part is changed on disk, same length.
    const path = join(fi.storageDir, rows[1]!.storage_key as string);
    const original = await readFile(path);
    const damaged = Buffer.from(original);
    damaged[12345] = damaged[12345]! ^ 0xff;
    await writeFile(path, damaged);
    const report = await verify();
    expect(report).toMatchObject({ checked: 1, ok: 0 });
    expect(report.mismatched[0]).toMatchObject({ reason: "hash_mismatch", expected_sha256: row.sha256 });
    // The parts are sealed: the damaged one fails its tag, so no digest of its plaintext exists.
    expect(original.includes(parts[1]!.subarray(0, 64))).toBe(false);
    expect(report.mismatched[0]!.actual_sha256).toBeNull();
    const [event] = await sql`select details from compliance_events where customer_id = 'parts-co' and event_type = 'integrity_mismatch' and object_key = 'tampered.bin'`;
    expect(event!.details.damaged_part).toMatchObject({ part_number: 2, expected_sha256: sha(parts[1]!).toString("hex"), actual_sha256: null });
    expect((await sql`select compliance_status from object_metadata where object_id = ${row.object_id}`)[0]!.compliance_status).toBe("integrity_failed");
    // A GET streams the first part, then fails at the end of the damaged one: never a complete 200 of damaged bytes.
    const res = await acme("/media/tampered.bin");
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();

    // Restored, it verifies again; a missing part is missing data.
    await writeFile(path, original);
    expect(await verify()).toMatchObject({ ok: 1 });
    await unlink(join(fi.storageDir, rows[2]!.storage_key as string));
    expect((await verify()).mismatched[0]).toMatchObject({ reason: "missing_data" });
    expect((await acme("/media/tampered.bin")).status).toBe(503);
  });

  it("a storage migration moves a multipart object part by part, keeping its ETag and checksum", async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(3 * MiB)];
    const { row, etag } = await multipart("/media/moved.bin", parts);
    const oldParts = (await manifest(row.storage_key)).map((r) => r.storage_key as string);
    await sql`delete from object_metadata where customer_id = 'parts-co' and object_key <> 'moved.bin'`;
    const report = await migrate(fi.url, { customer_id: "parts-co", to_target: "parts-dest" });
    expect(report).toMatchObject({ status: "completed", migrated: 1, failed: 0, skipped: 0 });
    const [moved] = await sql`select storage_key, storage_provider_id, storage_country, sha256, etag from object_metadata where object_id = ${row.object_id}`;
    expect(moved).toMatchObject({ storage_provider_id: "parts-dest", storage_country: "DE", sha256: row.sha256, etag: row.etag });
    expect(moved!.storage_key).not.toBe(row.storage_key);
    const newParts = await manifest(moved!.storage_key);
    expect(newParts.map((r) => [r.part_number, Number(r.size_bytes), r.storage_provider_id])).toEqual([[1, 5 * MiB, "parts-dest"], [2, 3 * MiB, "parts-dest"]]);
    // The parts' bytes are on the destination only; the source's are gone with their manifest.
    expect(await blobs(destDir)).toEqual(newParts.map((r) => r.storage_key as string).sort());
    expect((await blobs()).filter((k) => oldParts.includes(k))).toEqual([]);
    expect(await manifest(row.storage_key)).toHaveLength(0);
    const got = await bytesOf("/media/moved.bin", { "x-amz-checksum-mode": "ENABLED" });
    expect(got.body.equals(Buffer.concat(parts))).toBe(true);
    expect(got.res.headers.get("etag")).toBe(etag);
    expect(got.res.headers.get("x-amz-checksum-sha256")).toBe(composite(parts));
  });

  it("recovery after a crash mid-migration removes a half-built copy's parts, and a switched object's old parts", async () => {
    const { row } = await multipart("/media/recovered.bin", [randomBytes(5 * MiB), randomBytes(10)]);
    const sourceParts = (await manifest(row.storage_key)).map((r) => r.storage_key as string);
    // A copy that had landed one part when the process died (journalled: its dest key and that part's manifest row).
    const dest = await fi.deps.targets.recorded("parts-co", "parts-dest");
    const landed = await dest.put(Readable.from([randomBytes(1000)]), { expectedSize: 1000 });
    const destKey = dest.newCompositeKey();
    await recordManifest(fi.deps.db, destKey, { customerId: "parts-co", providerId: "parts-dest" }, [{ partNumber: 1, storageKey: landed.storageKey, size: 1000, md5Hex: landed.md5Hex, sha256Hex: landed.sha256Hex, encryption: null }], new Date());
    const [run] = await sql`insert into storage_migrations (customer_id, to_target, batch_size, status, requested_by, created_at) values ('parts-co', 'parts-dest', 10, 'interrupted', 'test', now()) returning migration_id`;
    await sql`insert into storage_migration_items (migration_id, object_id, customer_id, from_target, to_target, source_key, dest_key, state, created_at, updated_at)
              values (${run!.migration_id}, ${row.object_id}, 'parts-co', 'fi-hel-fs', 'parts-dest', ${row.storage_key}, ${destKey}, 'copying', now(), now())`;
    // And one whose switch committed (the object points elsewhere) but whose source was not deleted yet.
    await sql`insert into storage_migration_items (migration_id, object_id, customer_id, from_target, to_target, source_key, state, created_at, updated_at)
              values (${run!.migration_id}, gen_random_uuid(), 'parts-co', 'fi-hel-fs', 'parts-dest', ${row.storage_key}, 'switched', now(), now())`;
    await sql`delete from object_metadata where object_id = ${row.object_id}`;
    expect(await recoverMigrationItems(fi.deps)).toBe(2);
    expect(await manifest(destKey)).toHaveLength(0);
    expect(await blobs(destDir)).not.toContain(landed.storageKey);
    expect(await manifest(row.storage_key)).toHaveLength(0);
    expect((await blobs()).filter((k) => sourceParts.includes(k))).toEqual([]);
    expect((await sql`select state from storage_migration_items where migration_id = ${run!.migration_id} order by state`).map((r) => r.state)).toEqual(["abandoned", "done"]);
  });

  it("GDPR export embeds a multipart object's bytes and erasure removes its parts", async () => {
    const officer = await mintToken(fi.url, "dpo", "compliance_officer");
    const api = gdprApi(fi.url);
    const parts = [randomBytes(5 * MiB), Buffer.from("the end")];
    const { row } = await multipart("/media/subject.bin", parts, { "x-amz-meta-data-subject-id": "mia" });
    const partKeys = (await manifest(row.storage_key)).map((r) => r.storage_key as string);

    // Portability embeds the bytes (under 10 MiB in all): the parts in order.
    const portability = await json(await api(officer, "POST", "/requests", { customer_id: "parts-co", data_subject_id: "mia", request_type: "portability" }), 201);
    const exportDone = await json(await api(officer, "POST", `/requests/${portability.request_id}/execute`), 200);
    expect(exportDone.result!.export).toMatchObject({ objects: 1, content_included: true });
    const file = JSON.parse(await (await fetch(`${fi.url}/api/gdpr/requests/${portability.request_id}/export`, { headers: { authorization: `Bearer ${officer}` } })).text());
    expect(Buffer.from(file.objects[0].content_base64, "base64").equals(Buffer.concat(parts))).toBe(true);

    const erasure = await json(await api(officer, "POST", "/requests", { customer_id: "parts-co", data_subject_id: "mia", request_type: "erasure" }), 201);
    const done = await json(await api(officer, "POST", `/requests/${erasure.request_id}/execute`), 200);
    expect(done.result!.erased).toEqual([expect.objectContaining({ key: "subject.bin", sha256: row.sha256 })]);
    expect((await blobs()).filter((k) => partKeys.includes(k))).toEqual([]);
    expect(await manifest(row.storage_key)).toHaveLength(0);
  });
});
