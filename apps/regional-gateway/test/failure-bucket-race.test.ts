import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, s3, startTestRegion, type TestRegion } from "./harness.ts";

let region: TestRegion;
let sql: postgres.Sql;
let client: ReturnType<typeof s3>;
const ROUNDS = 12;
const PUTS = 8;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

beforeAll(async () => {
  region = await startTestRegion("FI-HEL");
  sql = postgresClient(region.databaseUrl, { max: 1 });
  expect((await register(region.url, "race-co")).status).toBe(201);
  client = s3(region.url, "race-co");
});
afterAll(async () => {
  await sql?.end();
  await region?.destroy();
});

describe("DeleteBucket racing PutObject", () => {
  it("answers only 200/404 to the PUTs and 204/409 to the delete, and orphans nothing", async () => {
    const seen = { put: new Map<number, number>(), del: new Map<number, number>() };
    const count = (m: Map<number, number>, s: number) => m.set(s, (m.get(s) ?? 0) + 1);
    for (let round = 0; round < ROUNDS; round++) {
      const bucket = `race-${round}`;
      expect((await client(`/${bucket}`, { method: "PUT" })).status).toBe(200);
      const body = Buffer.alloc(64 * 1024 + round, round);
      const puts = Array.from({ length: PUTS }, (_, i) => client(`/${bucket}/k${i}`, { method: "PUT", body }).then(async (r) => (await r.text(), r.status)));
      // Staggered so that across rounds the delete lands before, between and after the commits.
      await new Promise((r) => setTimeout(r, (round % 4) * 5));
      const del = client(`/${bucket}`, { method: "DELETE" }).then(async (r) => (await r.text(), r.status));
      const statuses = await Promise.all(puts);
      const delStatus = await del;
      for (const s of statuses) count(seen.put, s);
      count(seen.del, delStatus);
      expect(statuses.every((s) => s === 200 || s === 404), `round ${round} PUTs: ${statuses}`).toBe(true);
      expect([204, 409], `round ${round} DeleteBucket`).toContain(delStatus);

      const [exists] = await sql`select bucket_id from buckets where customer_id = 'race-co' and bucket_name = ${bucket}`;
      const keys = (await sql`select object_key from object_metadata where customer_id = 'race-co' and bucket_name = ${bucket}`).map((r) => r.object_key as string);
      if (delStatus === 204) {
        expect(exists).toBeUndefined();
        expect(keys).toEqual([]);
        expect(statuses.filter((s) => s === 200)).toEqual([]); // an acknowledged PUT's object would be gone
      } else {
        expect(exists).toBeDefined();
        // Every acknowledged PUT is there, and nothing else.
        expect(keys.sort()).toEqual(statuses.flatMap((s, i) => (s === 200 ? [`k${i}`] : [])).sort());
      }
    }
    // No blob that no row points at, and no temp file left behind.
    const referenced = new Set((await sql`select storage_key from object_metadata`).map((r) => r.storage_key as string));
    const blobs = (await filesUnder(region.storageDir)).filter((f) => f.startsWith("tenant-"));
    expect(blobs.filter((b) => !referenced.has(b))).toEqual([]);
    expect(await filesUnder(join(region.storageDir, ".tmp"))).toEqual([]);
    // The race was really run: both outcomes of the delete happened at least once... or at least PUTs lost to a delete.
    expect((seen.put.get(404) ?? 0) + (seen.del.get(409) ?? 0)).toBeGreaterThan(0);
  });
});
