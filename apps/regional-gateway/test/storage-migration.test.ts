import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { FsProvider, type PutOptions, type StorageProvider } from "@s3gw/storage";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageTargets } from "../src/services/storage/storage-targets.ts";
import { register, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { startRegionalGateway } from "../src/start.ts";
import { adminAuth } from "./harness.ts";
import { getMigration, migrate, startMigration, waitMigration } from "./storage-migration-helpers.ts";

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
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  await register(fi.url, "mover", { country: "FI", data_residency_requirement: "jurisdiction" });
  const acme = s3(fi.url, "mover");
  // S3 object lock (the protected objects below) exists only in buckets created with it.
  await acme("/archive", { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } });
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
    const report = await migrate(fi.url, { customer_id: "mover", from_target: "fi-hel-fs", to_target: "cust-dest", dry_run: true, batch_size: 50 });
    expect(report).toMatchObject({ status: "completed", total: OBJECTS, migrated: OBJECTS, skipped: 0, failed: 0, dry_run: true });
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
    const first = await migrate(fi.url, { customer_id: "mover", from_target: "fi-hel-fs", to_target: "cust-dest", batch_size: 50 });
    expect(await reads).toBe(60);
    expect(first.migrated).toBe(120);
    expect(first.failed).toBe(OBJECTS - 120);
    expect(first.issues[0]!.reason).toMatch(/injected/);
    const [{ moved }] = (await sql`select count(*)::int as moved from object_metadata where storage_provider_id = 'cust-dest'`) as unknown as [{ moved: number }];
    expect(moved).toBe(120);

    failAfter = Infinity;
    // Resumable: what moved is no longer on the source, so a second run takes only the rest.
    const second = await migrate(fi.url, { customer_id: "mover", from_target: "fi-hel-fs", to_target: "cust-dest", batch_size: 50 });
    expect(second).toMatchObject({ status: "completed", total: OBJECTS - 120, migrated: OBJECTS - 120, skipped: 0, failed: 0 });
    const again = await migrate(fi.url, { customer_id: "mover", from_target: "fi-hel-fs", to_target: "cust-dest", batch_size: 50 });
    expect(again).toMatchObject({ status: "completed", total: 0, migrated: 0, failed: 0 });

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
    const refused = await startMigration(fi.url, { customer_id: "mover", from_target: "cust-dest", to_target: "cust-us" });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/residency/);
  });

  it("cancel finishes the object in hand: every switched object has its audit row, and no copy is left anywhere", async () => {
    const started = await startMigration(fi.url, { customer_id: "mover", from_target: "cust-dest", to_target: "fi-hel-fs", batch_size: 10 });
    expect(started.status).toBe(202);
    const id = started.body.migration_id;
    // One run at a time, region-wide.
    const second = await startMigration(fi.url, { customer_id: "mover", from_target: "cust-dest", to_target: "fi-hel-fs" });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(id);

    await waitMigration(fi.url, id, (r) => r.processed >= 30);
    const cancel = await fetch(`${fi.url}/api/storage-migrations/${id}/cancel`, { method: "POST", headers: adminAuth });
    expect(cancel.status).toBe(202);
    const done = await waitMigration(fi.url, id);
    expect(done.status).toBe("cancelled");
    expect(done.processed).toBeGreaterThanOrEqual(30);
    expect(done.processed).toBeLessThan(OBJECTS);
    expect(done.failed).toBe(0);

    const switched = await sql`select object_id::text as id from object_metadata where customer_id = 'mover' and storage_provider_id = 'fi-hel-fs'`;
    expect(switched.length).toBe(done.migrated);
    const audited = await sql`select compliance_info->>'object_id' as id, count(*)::int as n from operations_log
                              where operation_type = 'StorageMigration' and result = 'success' and compliance_info->>'migration_id' = ${id} group by 1`;
    expect(new Map(audited.map((r) => [r.id as string, r.n as number]))).toEqual(new Map(switched.map((r) => [r.id as string, 1])));
    // Bytes exist exactly where metadata points: no stray copy on either side.
    expect(await files(fi.storageDir)).toBe(done.migrated);
    expect(await files(otherDir)).toBe(OBJECTS - done.migrated);
    const [journal] = await sql`select count(*) filter (where state <> 'done')::int as open from storage_migration_items where migration_id = ${id}`;
    expect(journal!.open).toBe(0);
    // The rest moves on the next run.
    expect(await migrate(fi.url, { customer_id: "mover", from_target: "cust-dest", to_target: "fi-hel-fs" })).toMatchObject({ status: "completed", migrated: OBJECTS - done.migrated, failed: 0 });
    expect(await files(otherDir)).toBe(0);
  });

  it("a switch whose audit append fails stays in the outbox and is audited exactly once after a restart", async () => {
    const acme = s3(fi.url, "mover");
    for (let i = 0; i < 3; i++) expect((await acme(`/archive/outbox-${i}.txt`, { method: "PUT", body: `outbox ${i}` })).status).toBe(200);
    await sql.unsafe(`create or replace function refuse_migration_audit() returns trigger language plpgsql as $$
      begin if new.operation_type = 'StorageMigration' then raise exception using errcode = 'check_violation', message = 'audit refused (injected)'; end if; return new; end $$;
      create trigger refuse_migration_audit before insert on operations_log for each row execute function refuse_migration_audit();`);
    let id: string;
    try {
      const started = await startMigration(fi.url, { customer_id: "mover", from_target: "fi-hel-fs", to_target: "cust-dest" });
      expect(started.status).toBe(202);
      id = started.body.migration_id;
      const run = await waitMigration(fi.url, id);
      // The run stops at the first object it cannot audit: nothing else moves unaudited.
      expect(run.status).toBe("failed");
      expect(run.error).toMatch(/audit refused/);
      // The run's bookkeeping after its status (a retry of the undelivered row) ends while the
      // trigger still refuses: dropped earlier, a slow machine let that retry deliver the row.
      await fi.deps.migrations.idle();
    } finally {
      await sql.unsafe("drop trigger refuse_migration_audit on operations_log; drop function refuse_migration_audit();");
    }
    const pending = await sql`select object_id::text as id, state, audited_at from storage_migration_items where migration_id = ${id!} and state <> 'abandoned'`;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ state: "switched", audited_at: null });
    expect(await sql`select 1 from operations_log where compliance_info->>'migration_id' = ${id!} and operation_type = 'StorageMigration'`).toHaveLength(0);

    // A restarted gateway (same database and storage) delivers the outbox and deletes the source.
    const again = await startRegionalGateway({ ...fi.deps.config, port: 0 }, { logger: fi.deps.logger });
    try {
      for (let i = 0; i < 200; i++) {
        const [item] = await sql`select state from storage_migration_items where object_id = ${pending[0]!.id}::uuid and migration_id = ${id!}`;
        if (item!.state === "done") break;
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await again.close();
    }
    const rows = await sql`select result, compliance_info->>'object_id' as object_id from operations_log where compliance_info->>'migration_id' = ${id!} and operation_type = 'StorageMigration'`;
    expect(rows).toEqual([{ result: "success", object_id: pending[0]!.id }]);
    const [item] = await sql`select state, audited_at from storage_migration_items where object_id = ${pending[0]!.id}::uuid and migration_id = ${id!}`;
    expect(item!.state).toBe("done");
    expect(item!.audited_at).not.toBeNull();
    // The cancel test's last run brought the documents home; of the outbox objects one moved.
    expect(await files(fi.storageDir)).toBe(OBJECTS + 2);
  });

  it("refuses protected objects for a target without object lock, unless an admin overrides with a reason", async () => {
    const acme = s3(fi.url, "mover");
    expect((await acme("/archive/held.txt", { method: "PUT", body: "held" })).status).toBe(200);
    expect((await acme("/archive/held.txt?legal-hold", { method: "PUT", body: "<LegalHold><Status>ON</Status></LegalHold>" })).status).toBe(200);
    expect((await acme("/archive/retained.txt", { method: "PUT", body: "retained" })).status).toBe(200);
    const until = new Date(Date.now() + 86_400_000).toISOString();
    expect((await acme("/archive/retained.txt?retention", { method: "PUT", body: `<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>${until}</RetainUntilDate></Retention>` })).status).toBe(200);

    const plain = await migrate(fi.url, { customer_id: "mover", from_target: "fi-hel-fs", to_target: "cust-dest" });
    expect(plain).toMatchObject({ status: "completed", migrated: OBJECTS + 2, skipped: 2, failed: 0 });
    expect(plain.issues.map((i) => [i.key, i.outcome]).sort()).toEqual([["held.txt", "skipped"], ["retained.txt", "skipped"]]);
    for (const i of plain.issues) expect(i.reason).toMatch(/does not enforce object lock/);
    const still = await sql`select object_key, storage_provider_id from object_metadata where object_key in ('held.txt', 'retained.txt') order by object_key`;
    expect(still.map((r) => r.storage_provider_id)).toEqual(["fi-hel-fs", "fi-hel-fs"]);

    const tooShort = await startMigration(fi.url, { customer_id: "mover", from_target: "fi-hel-fs", to_target: "cust-dest", protection_override: { reason: "ok" } });
    expect(tooShort.status).toBe(400);
    const reason = "customer's own archive bucket, lock enforced by their retention policy (ticket 4711)";
    const forced = await migrate(fi.url, { customer_id: "mover", from_target: "fi-hel-fs", to_target: "cust-dest", protection_override: { reason } });
    expect(forced).toMatchObject({ status: "completed", migrated: 2, skipped: 0, protection_override: { reason } });
    expect(forced.protection_override!.by).toMatch(/admin/);
    const audit = await sql`select object_key, compliance_info from operations_log where operation_type = 'StorageMigration' and compliance_info->>'migration_id' = ${forced.migration_id} order by object_key`;
    expect(audit.map((r) => [r.object_key, r.compliance_info.protection, r.compliance_info.protection_override?.reason])).toEqual([
      ["held.txt", "override", reason],
      ["retained.txt", "override", reason],
    ]);
    const [startRow] = await sql`select compliance_info from operations_log where operation_type = 'StartStorageMigration' and compliance_info->>'migration_id' = ${forced.migration_id}`;
    expect(startRow!.compliance_info.protection_override).toEqual({ reason });
    // The gateway still enforces both: the hold and the retention are on the row, wherever the bytes are.
    const version = async (key: string) => (await acme(`/archive/${key}`, { method: "HEAD" })).headers.get("x-amz-version-id");
    expect((await acme(`/archive/held.txt?versionId=${await version("held.txt")}`, { method: "DELETE" })).status).toBe(403);
    expect((await acme(`/archive/retained.txt?versionId=${await version("retained.txt")}`, { method: "DELETE" })).status).toBe(403);
    expect(await (await acme("/archive/retained.txt")).text()).toBe("retained");
    expect((await getMigration(fi.url, forced.migration_id)).status).toBe("completed");
  });
});
