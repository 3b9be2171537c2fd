import { mkdtemp, readdir, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { canMount, sh } from "./failure-helpers.ts";

// The region's fs store is a 1 MiB tmpfs: small enough to fill, and remountable read-only
// (a chmod would not stop root, a read-only mount does).
const MIN_FREE = 256 * 1024;
let mountDir: string;
let mounted = false;
let region: TestRegion;
let sql: postgres.Sql;
let client: ReturnType<typeof s3>;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}
const blobs = async () => (await filesUnder(mountDir)).filter((f) => f.includes("/tenant-"));
const tmpFiles = async () => (await filesUnder(join(mountDir, ".tmp")));
const rows = async () => (await sql`select object_key from object_metadata where customer_id = 'full-co' order by object_key`).map((r) => r.object_key as string);
async function health() {
  const res = await fetch(`${region.url}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; storage: { status: string; detail?: string; free_bytes?: number } } };
}

beforeAll(async () => {
  if (!canMount()) return;
  mountDir = await mkdtemp(join(tmpdir(), "s3gw-full-"));
  sh("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountDir]);
  mounted = true;
  region = await startTestRegion("FI-HEL", { storageDir: mountDir, storageMinFreeBytes: MIN_FREE });
  sql = postgresClient(region.databaseUrl, { max: 1 });
  client = await registerWithBuckets(region.url, "full-co", ["data"]);
});
afterAll(async () => {
  await sql?.end();
  await region?.destroy();
  if (mounted) {
    sh("umount", ["-l", mountDir]);
    await rmdir(mountDir).catch(() => rm(mountDir, { recursive: true, force: true }));
  }
});

describe.skipIf(!canMount())("the object store is full or unwritable", () => {
  it("is healthy with room to spare", async () => {
    expect((await client("/data/first.txt", { method: "PUT", body: "fits" })).status).toBe(200);
    const h = await health();
    expect(h.status).toBe(200);
    expect(h.body.storage.status).toBe("ok");
    expect(h.body.storage.free_bytes).toBeGreaterThan(MIN_FREE);
  });

  it("full: a PUT answers 503 naming the cause, leaves no row, blob or temp file, and /health says storage is down", async () => {
    // Leave a few KiB: the next PUT runs out of space mid-write.
    const filler = join(mountDir, "filler");
    const free = (await health()).body.storage.free_bytes!;
    await writeFile(filler, Buffer.alloc(free - 8 * 1024));
    const before = await blobs();

    const res = await client("/data/big.bin", { method: "PUT", body: Buffer.alloc(64 * 1024, 7) });
    const body = await res.text();
    expect(res.status).toBe(503);
    expect(body).toContain("<Code>ServiceUnavailable</Code>");
    expect(body).toMatch(/storage is full/);
    expect(res.headers.get("retry-after")).toBeTruthy();

    expect(await rows()).toEqual(["first.txt"]);
    expect((await client("/data/big.bin")).status).toBe(404);
    expect(await client("/data?list-type=2").then((r) => r.text())).not.toContain("big.bin");
    expect(await blobs()).toEqual(before);
    expect(await tmpFiles()).toEqual([]);

    const h = await health();
    expect(h.status).toBe(503);
    expect(h.body.status).toBe("unhealthy");
    expect(h.body.storage.status).toBe("down");
    expect(h.body.storage.detail).toMatch(/storage is (full|nearly full)/);
    // What is stored stays readable.
    expect(await (await client("/data/first.txt")).text()).toBe("fits");

    await rm(filler);
    expect((await health()).status).toBe(200);
    expect((await client("/data/big.bin", { method: "PUT", body: Buffer.alloc(64 * 1024, 7) })).status).toBe(200);
  });

  it("below the free-space threshold /health reports storage not ok before writes start failing", async () => {
    const filler = join(mountDir, "filler");
    const free = (await health()).body.storage.free_bytes!;
    await writeFile(filler, Buffer.alloc(free - MIN_FREE / 2));
    const h = await health();
    expect(h.status).toBe(503);
    expect(h.body.storage).toMatchObject({ status: "down" });
    expect(h.body.storage.detail).toMatch(/nearly full: \d+ bytes free, below the 262144 bytes threshold/);
    await rm(filler);
    expect((await health()).status).toBe(200);
  });

  it("read-only: a PUT answers 503 naming the cause, nothing is written, reads still work, writes resume after remount", async () => {
    const before = await rows();
    sh("mount", ["-o", "remount,ro", mountDir]);
    try {
      const res = await client("/data/ro.txt", { method: "PUT", body: "refused" });
      const body = await res.text();
      expect(res.status).toBe(503);
      expect(body).toContain("<Code>ServiceUnavailable</Code>");
      expect(body).toMatch(/storage is read-only/);
      expect(await rows()).toEqual(before);
      const h = await health();
      expect(h.status).toBe(503);
      expect(h.body.storage.status).toBe("down");
      expect(h.body.storage.detail).toMatch(/read-only/);
      expect(await (await client("/data/first.txt")).text()).toBe("fits");
    } finally {
      sh("mount", ["-o", "remount,rw", mountDir]);
    }
    expect((await client("/data/ro.txt", { method: "PUT", body: "accepted" })).status).toBe(200);
    expect((await health()).status).toBe(200);
  });
});
