import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile, utimes, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsProvider, TenantStorage, BlobNotFoundError, storageUnavailable, sweepStrays, type StoredBlob } from "../src/index.ts";

const location = { providerId: "test-fs", regionId: "FI-HEL", country: "FI" };
let root: string;
let provider: FsProvider;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "s3gw-fs-"));
  provider = new FsProvider(root, location);
  await provider.init();
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name).slice(dir.length + 1));
}

describe("FsProvider via TenantStorage", () => {
  it("stores bytes under an opaque tenant key and reads them back, whole and ranged", async () => {
    const acme = new TenantStorage(provider, "acme-corp");
    const blob = await acme.put(Readable.from([Buffer.from("hello "), Buffer.from("world")]), { expectedSize: 11 });
    expect(blob.storageKey).toMatch(/^tenant-acme-corp\/[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    expect(blob.md5Hex).toBe(createHash("md5").update("hello world").digest("hex"));
    expect(blob.sha256Hex).toBe(createHash("sha256").update("hello world").digest("hex"));
    expect(await text(await acme.get(blob.storageKey))).toBe("hello world");
    expect(await text(await acme.get(blob.storageKey, { start: 6, end: 10 }))).toBe("world");
    await acme.delete(blob.storageKey);
    await expect(acme.get(blob.storageKey)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it("writes on after a known shard directory was removed behind its back, and reads whole", async () => {
    const acme = new TenantStorage(provider, "acme-corp");
    const first = await acme.put(Readable.from([Buffer.from("one")]), {});
    // Remove the whole tenant tree: every shard directory the provider remembered is gone.
    await rm(join(root, "tenant-acme-corp"), { recursive: true, force: true });
    const shardOf = (key: string) => key.split("/")[1];
    const blobs: StoredBlob[] = [];
    // Until one lands in the first blob's (removed, remembered) shard: that write must make it again.
    for (let i = 0; i < 5000 && !blobs.some((b) => shardOf(b.storageKey) === shardOf(first.storageKey)); i++) {
      blobs.push(await acme.put(Readable.from([Buffer.from(`body ${i}`)]), {}));
    }
    expect(blobs.some((b) => shardOf(b.storageKey) === shardOf(first.storageKey))).toBe(true);
    for (const [i, b] of blobs.entries()) expect((await acme.getWhole(b.storageKey, b.size))!.toString()).toBe(`body ${i}`);
    await expect(acme.getWhole(first.storageKey, first.size)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it("reads a blob whole at its recorded size, and whole as it is when its size is not the recorded one", async () => {
    const acme = new TenantStorage(provider, "acme-corp");
    const blob = await acme.put(Readable.from([Buffer.from("exactly this")]), {});
    expect((await acme.getWhole(blob.storageKey, blob.size))!.toString()).toBe("exactly this");
    const file = join(root, blob.storageKey);
    // Grown or shrunk behind the store's back: what is there comes back, for the reader's integrity check to judge.
    await writeFile(file, "exactly this, and more");
    expect((await acme.getWhole(blob.storageKey, blob.size))!.toString()).toBe("exactly this, and more");
    await writeFile(file, "exact");
    expect((await acme.getWhole(blob.storageKey, blob.size))!.toString()).toBe("exact");
    await writeFile(file, "");
    expect((await acme.getWhole(blob.storageKey, blob.size))!.length).toBe(0);
    await acme.delete(blob.storageKey);
    await expect(acme.getWhole(blob.storageKey, blob.size)).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it("refuses a wrong Content-MD5 and a short body, keeping nothing", async () => {
    const t = new TenantStorage(provider, "acme-corp");
    await expect(t.put(Readable.from([Buffer.from("abc")]), { contentMd5: Buffer.alloc(16) })).rejects.toMatchObject({ code: "BadDigest" });
    await expect(t.put(Readable.from([Buffer.from("abc")]), { expectedSize: 5 })).rejects.toMatchObject({ code: "IncompleteBody" });
    await expect(t.put(Readable.from([Buffer.from("abcdef")]), { maxSize: 3 })).rejects.toMatchObject({ code: "EntityTooLarge" });
    expect(await listTree(root)).toEqual([]);
  });

  it("never lets one tenant address another tenant's bytes or escape the root", async () => {
    const acme = new TenantStorage(provider, "acme-corp");
    const other = new TenantStorage(provider, "globex");
    const blob = await acme.put(Readable.from([Buffer.from("secret")]), {});
    expect(() => other.get(blob.storageKey)).toThrowError(/outside the tenant/);
    expect(() => other.delete(blob.storageKey)).toThrowError(/outside the tenant/);
    expect(() => other.get("tenant-globex/../tenant-acme-corp/x")).toThrowError(/outside the tenant/);
    await expect(provider.get("tenant-globex/00/../../../etc/passwd")).rejects.toThrowError(/invalid storage key/);
    expect(() => new TenantStorage(provider, "../etc")).toThrowError(/invalid customer id/);
  });

  it("sweeps unreferenced old blobs and abandoned temp files, sparing recent ones", async () => {
    const t = new TenantStorage(provider, "acme-corp");
    const kept = await t.put(Readable.from([Buffer.from("kept")]), {});
    const stray = await t.put(Readable.from([Buffer.from("stray")]), {});
    const fresh = await t.put(Readable.from([Buffer.from("fresh")]), {});
    const old = new Date(Date.now() - 3_600_000);
    for (const k of [kept, stray]) await utimes(join(root, k.storageKey), old, old);
    await mkdir(join(root, ".tmp"), { recursive: true });
    await writeFile(join(root, ".tmp", "abandoned"), "x");
    await utimes(join(root, ".tmp", "abandoned"), old, old);
    const result = await sweepStrays(provider, async (keys) => new Set(keys.filter((k) => k === kept.storageKey)), 600_000, new Date());
    expect(result).toEqual({ strays: 1, incomplete: 1 });
    const left = await listTree(root);
    expect(left.sort()).toEqual([kept.storageKey, fresh.storageKey].sort());
  });

  it("reports health by writing a probe", async () => {
    expect(await provider.health()).toMatchObject({ ok: true, freeBytes: expect.any(Number) });
    const broken = new FsProvider(join(root, "missing", "dir"), location);
    expect((await broken.health()).ok).toBe(false);
  });

  it("reports itself unhealthy below the free-space threshold, naming the numbers", async () => {
    const picky = new FsProvider(root, location, { minFreeBytes: Number.MAX_SAFE_INTEGER });
    const health = await picky.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/^storage is nearly full: \d+ bytes free, below the \d+ bytes threshold$/);
  });

  it("names a full, read-only or unwritable store as a 503 with its cause; anything else is not the store's fault", () => {
    const full = storageUnavailable(Object.assign(new Error("write failed"), { code: "ENOSPC" }));
    expect(full).toMatchObject({ code: "ServiceUnavailable", status: 503 });
    expect(full!.message).toMatch(/^storage is full.*\(ENOSPC\)$/);
    expect(full!.headers["retry-after"]).toBeTruthy();
    expect(storageUnavailable(Object.assign(new Error("ro"), { code: "EROFS" }))!.message).toMatch(/^storage is read-only/);
    expect(storageUnavailable(new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "EACCES" }) }))!.message).toMatch(/not writable/);
    expect(storageUnavailable(Object.assign(new Error("gone"), { code: "ENOENT" }))).toBeUndefined();
    expect(storageUnavailable(new Error("plain"))).toBeUndefined();
  });
});
