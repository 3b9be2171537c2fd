import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsProvider } from "../../packages/storage/src/fs-provider.ts";
import { StorageTargets } from "../../apps/regional-gateway/src/services/storage/storage-targets.ts";
import { adminAuth, bearer, mintToken, register, s3, startTestRegion, type TestRegion } from "../../apps/regional-gateway/test/harness.ts";
import { startMigration, waitMigration } from "../../apps/regional-gateway/test/storage-migration-helpers.ts";

// A storage migration runs while the gateway serves the same objects: readers, overwriters,
// deleters and hold-setters race every step of it (copy, verify, switch, source deletion).
// Nothing may be lost or served wrong: every read is a 200 with a version that was written (or
// a 404 after a delete), never a 5xx; afterwards every object reads its latest version, bytes
// exist exactly where metadata points, and no object was marked damaged. The management API
// around migrations refuses every role, scope and input it should.
const N = 60;
let fi: TestRegion;
let sql: postgres.Sql;
let destDir: string;
const key = (i: number) => `doc-${String(i).padStart(3, "0")}.txt`;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  await register(fi.url, "busy", { country: "FI", data_residency_requirement: "jurisdiction" });
  await register(fi.url, "bystander", { country: "FI", data_residency_requirement: "jurisdiction" });
  const c = s3(fi.url, "busy");
  await c("/live", { method: "PUT" });
  for (let i = 0; i < N; i += 15) await Promise.all(Array.from({ length: 15 }, (_, j) => c(`/live/${key(i + j)}`, { method: "PUT", body: `v0 of ${key(i + j)}` })));
  destDir = await mkdtemp(join(tmpdir(), "s3gw-live-dest-"));
  const dest = new FsProvider(destDir, { providerId: "cust-live", regionId: "FI-HEL", country: "FI" });
  await dest.init();
  await sql`insert into storage_targets (target_id, customer_id, provider_label, region, country, bucket, access_key_id, secret_ciphertext, secret_fingerprint)
            values ('cust-live', 'busy', 'test-fs', 'eu-north-1', 'FI', 'live', 'n/a', 'n/a', 'n/a')`;
  fi.deps.targets = new StorageTargets({ hosted: fi.deps.storage, db: fi.deps.db, customerProvider: () => dest });
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
  await rm(destDir, { recursive: true, force: true });
});

const files = async (dir: string) => (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])).filter((d) => d.isFile() && d.parentPath.includes("tenant-busy")).length;

describe("storage migration beside live traffic", () => {
  it("loses nothing and serves nothing wrong while objects are read, overwritten, deleted and held", async () => {
    const c = s3(fi.url, "busy");
    const latest = new Map<string, number>(Array.from({ length: N }, (_, i) => [key(i), 0]));
    const deleted = new Set<string>();
    const bad: string[] = [];
    const started = await startMigration(fi.url, { customer_id: "busy", from_target: "fi-hel-fs", to_target: "cust-live", batch_size: 7 });
    expect(started.status).toBe(202);
    const id = started.body.migration_id;
    let running = true;
    const finished = waitMigration(fi.url, id, undefined, 110_000).finally(() => (running = false));
    let seed = 7;
    const pick = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % N);

    const reader = async () => {
      while (running) {
        const k = key(pick());
        const res = await c(`/live/${k}`);
        const text = await res.text();
        if (res.status === 404 && deleted.has(k)) continue;
        if (res.status !== 200 || !new RegExp(`^v\\d+ of ${k}$`).test(text)) bad.push(`${k}: ${res.status} ${text.slice(0, 80)}`);
      }
    };
    const writer = async () => {
      for (let round = 1; running && round < 400; round++) {
        const k = key(pick());
        if (deleted.has(k)) continue;
        const res = await c(`/live/${k}`, { method: "PUT", body: `v${round} of ${k}` });
        if (res.status === 200) latest.set(k, round);
        else if (res.status !== 403) bad.push(`PUT ${k}: ${res.status}`); // 403: a hold placed meanwhile
      }
    };
    const deleter = async () => {
      for (const i of [3, 17, 29, 41, 53]) {
        if (!running) break;
        const res = await c(`/live/${key(i)}`, { method: "DELETE" });
        if (res.status === 204) deleted.add(key(i));
        else if (res.status !== 403) bad.push(`DELETE ${key(i)}: ${res.status}`);
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    // The bucket is unversioned, where S3 object lock does not exist: holds come from the compliance API.
    const officer = bearer(await mintToken(fi.url, "live hold officer", "compliance_officer"));
    const holder = async () => {
      for (const i of [5, 23, 47]) {
        if (!running) break;
        const res = await fetch(`${fi.url}/api/holds`, {
          method: "PUT",
          headers: { "content-type": "application/json", ...officer },
          body: JSON.stringify({ customer_id: "busy", bucket: "live", key: key(i), reason: "raced during migration" }),
        });
        if (res.status !== 200 && !deleted.has(key(i))) bad.push(`hold ${key(i)}: ${res.status}`);
        await new Promise((r) => setTimeout(r, 60));
      }
    };
    await Promise.all([reader(), reader(), reader(), writer(), deleter(), holder()]);
    const run = await finished;
    expect(run.status).toBe("completed");
    expect(run.failed, JSON.stringify(run.issues)).toBe(0);
    expect(bad).toEqual([]);

    // A second pass takes whatever raced (skipped as "changed" or protected) and ends the source.
    await waitMigration(fi.url, (await startMigration(fi.url, { customer_id: "busy", from_target: "fi-hel-fs", to_target: "cust-live", protection_override: { reason: "test bucket enforces the same retention" } })).body.migration_id);
    for (let i = 0; i < N; i++) {
      const k = key(i);
      const res = await c(`/live/${k}`);
      if (deleted.has(k)) expect(res.status, k).toBe(404);
      else expect(await res.text(), k).toBe(`v${latest.get(k)} of ${k}`);
    }
    const rows = await sql`select storage_provider_id as t, compliance_status as s, count(*)::int as n from object_metadata where customer_id = 'busy' group by 1, 2`;
    expect(rows).toEqual([{ t: "cust-live", s: "compliant", n: N - deleted.size }]);
    // Bytes exactly where metadata points: no stray copy on the destination, nothing left at home.
    expect(await files(destDir)).toBe(N - deleted.size);
    expect(await files(fi.storageDir)).toBe(0);
    const [open] = await sql`select count(*)::int as n from storage_migration_items where state not in ('done', 'abandoned')`;
    expect(open!.n).toBe(0);
    const [damaged] = await sql`select count(*)::int as n from compliance_events where customer_id = 'busy' and event_type like '%integrity%'`;
    expect(damaged!.n).toBe(0);
  });

  it("refuses other roles, other customers' scopes, foreign targets and hostile input", async () => {
    const auditor = bearer(await mintToken(fi.url, "aud", "auditor"));
    const officer = bearer(await mintToken(fi.url, "off", "compliance_officer"));
    const otherAdmin = bearer(await mintToken(fi.url, "bystander admin", "admin", "bystander"));
    const body = { customer_id: "busy", from_target: "cust-live", to_target: "fi-hel-fs" };
    expect((await startMigration(fi.url, body, auditor)).status).toBe(403);
    expect((await startMigration(fi.url, body, officer)).status).toBe(403);
    expect((await startMigration(fi.url, body, otherAdmin)).status).toBe(403);
    // The bystander's scoped admin, naming no customer, is narrowed to its own: busy's bucket is not its target.
    expect((await startMigration(fi.url, { to_target: "cust-live" }, otherAdmin)).status).toBe(400);
    expect((await startMigration(fi.url, { customer_id: "bystander", to_target: "cust-live" })).status).toBe(400);
    expect((await startMigration(fi.url, { customer_id: "busy", to_target: "cust-nope" })).status).toBe(400);
    expect((await startMigration(fi.url, { ...body, batch_size: 1_000_000 })).status).toBe(400);
    expect((await startMigration(fi.url, { ...body, surprise: 1 })).status).toBe(400);
    expect((await startMigration(fi.url, { ...body, to_target: "../../etc" })).status).toBe(400);
    expect((await startMigration(fi.url, { ...body, protection_override: { reason: "legitimate\u0000reason here" } })).status).toBe(400);
    const raw = await fetch(`${fi.url}/api/storage-migrations`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: '{"to_target":"fi-hel-fs","customer_id":"busy","protection_override":{"reason":"lone \\ud800 surrogate"}}' });
    expect(raw.status).toBe(400);
    expect(await sql`select 1 from storage_migrations where from_target = 'cust-live'`).toHaveLength(0);

    const [last] = await sql`select migration_id::text as id from storage_migrations order by created_at desc limit 1`;
    expect((await fetch(`${fi.url}/api/storage-migrations/${last!.id}/cancel`, { method: "POST", headers: auditor })).status).toBe(403);
    expect((await fetch(`${fi.url}/api/storage-migrations/${last!.id}`, { headers: bearer(await mintToken(fi.url, "by off", "compliance_officer", "bystander")) })).status).toBe(404);
    expect((await fetch(`${fi.url}/api/storage-migrations/not-a-uuid`, { headers: adminAuth })).status).toBe(400);
    const denials = await sql`select count(*)::int as n from operations_log where operation_type = 'StartStorageMigration' and result = 'denied'`;
    expect(denials[0]!.n).toBeGreaterThanOrEqual(3);
  });
});
