import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { FsProvider, type PutOptions, type StorageProvider } from "@s3gw/storage";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateCustomerStorage } from "../src/services/storage-migration.ts";
import { StorageTargets } from "../src/services/storage-targets.ts";
import { register, s3, startTestRegion, type TestRegion } from "./harness.ts";

const OBJECTS = 300;
let fi: TestRegion;
let sql: postgres.Sql;
let otherDir: string;
let destination: FsProvider;
let failAfter = Infinity;

/** The destination target, with a switch to make it fail after some writes (a backend dying midway). */
function flaky(inner: StorageProvider): StorageProvider {
  let puts = 0;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "put") {
        return async (prefix: string, body: Readable, opts: PutOptions) => {
          if (++puts > failAfter) {
            body.destroy();
            throw new Error("destination unavailable (injected)");
          }
          return target.put(prefix, body, opts);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgres(fi.databaseUrl, { max: 1, onnotice: () => {} });
  await register(fi.url, "mover", { country: "FI", data_residency_requirement: "jurisdiction" });
  const acme = s3(fi.url, "mover");
  await acme("/archive", { method: "PUT" });
  for (let i = 0; i < OBJECTS; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => acme(`/archive/doc-${String(i + j).padStart(4, "0")}.txt`, { method: "PUT", body: `document ${i + j}` })));
  }
  otherDir = await mkdtemp(join(tmpdir(), "s3gw-migration-dest-"));
  destination = new FsProvider(otherDir, { providerId: "cust-dest", regionId: "FI-HEL", country: "DE" });
  await destination.init();
  await sql`insert into storage_targets (target_id, customer_id, provider_label, region, country, bucket, access_key_id, secret_ciphertext, secret_fingerprint)
            values ('cust-dest', 'mover', 'test-fs', 'eu-central-1', 'DE', 'dest', 'n/a', 'n/a', 'n/a')`;
  // The running gateway reads through the same targets, so reads during the migration are real reads.
  fi.deps.targets = new StorageTargets({ hosted: fi.deps.storage, db: fi.deps.db, customerProvider: () => flaky(destination) });
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
  await rm(otherDir, { recursive: true, force: true });
});

const files = async (dir: string) => (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && d.parentPath.includes("tenant-")).length;

describe("storage migration", () => {
  it("reports without moving anything on a dry run", async () => {
    const report = await migrateCustomerStorage(fi.deps, { customerId: "mover", from: "fi-hel-fs", to: "cust-dest", dryRun: true, batchSize: 50 });
    expect(report).toMatchObject({ total: OBJECTS, migrated: OBJECTS, skipped: 0, failed: 0, dry_run: true });
    expect(await files(otherDir)).toBe(0);
  });

  it("survives a destination failing midway, keeps reads working, and finishes when run again", async () => {
    failAfter = 120;
    const reads = (async () => {
      let ok = 0;
      for (let i = 0; i < 60; i++) {
        const n = (i * 7) % OBJECTS;
        const res = await s3(fi.url, "mover")(`/archive/doc-${String(n).padStart(4, "0")}.txt`);
        if (res.status === 200 && (await res.text()) === `document ${n}`) ok++;
      }
      return ok;
    })();
    const first = await migrateCustomerStorage(fi.deps, { customerId: "mover", from: "fi-hel-fs", to: "cust-dest", dryRun: false, batchSize: 50 });
    expect(await reads).toBe(60);
    expect(first.migrated).toBe(120);
    expect(first.failed).toBe(OBJECTS - 120);
    expect(first.failures[0]!.error).toMatch(/injected/);
    const [{ moved }] = (await sql`select count(*)::int as moved from object_metadata where storage_provider_id = 'cust-dest'`) as unknown as [{ moved: number }];
    expect(moved).toBe(120);

    failAfter = Infinity;
    const second = await migrateCustomerStorage(fi.deps, { customerId: "mover", from: "fi-hel-fs", to: "cust-dest", dryRun: false, batchSize: 50 });
    expect(second).toMatchObject({ total: OBJECTS, migrated: OBJECTS - 120, skipped: 120, failed: 0 });
    const again = await migrateCustomerStorage(fi.deps, { customerId: "mover", from: "fi-hel-fs", to: "cust-dest", dryRun: false, batchSize: 50 });
    expect(again).toMatchObject({ migrated: 0, skipped: OBJECTS, failed: 0 });

    // Every object reads back whole from its new home; the old bytes are gone.
    for (const n of [0, 119, 120, 299]) {
      const res = await s3(fi.url, "mover")(`/archive/doc-${String(n).padStart(4, "0")}.txt`);
      expect(await res.text()).toBe(`document ${n}`);
    }
    expect(await files(otherDir)).toBe(OBJECTS);
    expect(await files(fi.storageDir)).toBe(0);
    const audit = await sql`select result, count(*)::int as n from operations_log where operation_type = 'StorageMigration' group by result order by result`;
    expect(audit).toEqual([{ result: "error", n: OBJECTS - 120 }, { result: "success", n: OBJECTS }]);
  });

  it("refuses a destination that breaks the customer's residency requirement", async () => {
    await sql`insert into storage_targets (target_id, customer_id, provider_label, region, country, bucket, access_key_id, secret_ciphertext, secret_fingerprint)
              values ('cust-us', 'mover', 'test-fs', 'us-east-1', 'US', 'us', 'n/a', 'n/a', 'n/a')`;
    const us = new FsProvider(join(otherDir, "us"), { providerId: "cust-us", regionId: "FI-HEL", country: "US" });
    fi.deps.targets = new StorageTargets({ hosted: fi.deps.storage, db: fi.deps.db, customerProvider: (row) => (row.targetId === "cust-us" ? us : flaky(destination)) });
    await expect(migrateCustomerStorage(fi.deps, { customerId: "mover", from: "cust-dest", to: "cust-us", dryRun: false, batchSize: 50 })).rejects.toThrow(/residency/);
  });
});
