// Someone with SQL access to a Postgres-backed region tries to make audit rows disappear:
// deleting the newest rows, rewriting the whole chain consistently, deleting or forging
// checkpoints. The signed checkpoints (key outside the database, WORM copy in storage) must
// make each of these visible in /api/audit/verify.
import { createPublicKey } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { chainHash } from "@s3gw/core";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashedContent } from "../../src/services/audit/audit-content.ts";
import { AUDIT_WORM_PREFIX } from "../../src/services/audit/audit-checkpoints.ts";
import type { OperationRow } from "../../src/services/audit/audit.ts";
import { sweepHostedStorage } from "../../src/deps.ts";
import { adminAuth, bearer, getAs, mintToken, startTestRegion, TEST_AUDIT_SIGNER, type TestRegion } from "../harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let auditor: string;
let officer: string;
const cleanups: (() => Promise<void>)[] = [];

const verify = async () => (await (await getAs(fi.url, "/api/audit/verify")).json()) as Record<string, any>;
const checkpoint = async (auth: Record<string, string> = adminAuth) => fetch(`${fi.url}/api/audit/checkpoints`, { method: "POST", headers: auth });

/**
 * A fresh region with some traffic and a checkpoint for each tampering test: once rows are
 * deleted, the region's next rows chain onto what is left, so a log cannot be "restored".
 */
async function freshRegion(): Promise<void> {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  const [region, client] = [fi, sql];
  cleanups.push(async () => {
    await client.end();
    await region.destroy();
  });
  // Any request under the audit middleware writes a row; concurrent ones share batches.
  await Promise.all(Array.from({ length: 20 }, () => getAs(fi.url, "/api/audit/operations?limit=1")));
  await Promise.all(Array.from({ length: 5 }, () => getAs(fi.url, "/api/audit/operations", bearer("not-a-token-at-all"))));
  auditor = await mintToken(fi.url, "auditor", "auditor");
  officer = await mintToken(fi.url, "officer", "compliance_officer");
  expect((await checkpoint()).status).toBe(201);
}

beforeAll(freshRegion);
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe("signed audit checkpoints", () => {
  it("publishes the public key openly, and only an admin signs a checkpoint", async () => {
    const res = await fetch(`${fi.url}/api/audit/public-key`);
    expect(res.status).toBe(200);
    const pem = await res.text();
    expect(createPublicKey(pem).asymmetricKeyType).toBe("ed25519");
    expect(pem).toBe(TEST_AUDIT_SIGNER.publicKeyPem);
    expect((await checkpoint(bearer(auditor))).status).toBe(403);
    expect((await checkpoint(bearer(officer))).status).toBe(403);
    expect((await checkpoint({ authorization: "Bearer nope-nope-nope" })).status).toBe(401);
  });

  it("signs the chain head, keeps it in the table and as a WORM copy the sweeper never removes", async () => {
    const res = await checkpoint();
    expect(res.status).toBe(201);
    const cp = (await res.json()) as Record<string, any>;
    // The checkpoint covers every row committed before it: only its own audit row comes after.
    const after = await sql`select operation_type from operations_log where id > ${cp.last_id}`;
    expect(after.map((r) => r.operation_type)).toEqual(["CreateAuditCheckpoint"]);
    const [atHead] = await sql`select row_hash, (select count(*)::int from operations_log where id <= ${cp.last_id}) as n from operations_log where id = ${cp.last_id}`;
    expect(cp).toMatchObject({ region: "FI-HEL", last_hash: atHead!.row_hash, row_count: atHead!.n, worm: { retention_mode: "COMPLIANCE", provider_locked: false } });
    expect(TEST_AUDIT_SIGNER.verify(cp.payload, cp.signature)).toBe(true);
    expect(JSON.parse(cp.payload)).toEqual({ region: "FI-HEL", last_id: cp.last_id, last_hash: cp.last_hash, row_count: cp.row_count, created_at: cp.created_at });
    expect(new Date(cp.worm.retain_until).getTime()).toBeGreaterThan(Date.now() + 3000 * 86_400_000);

    const wormDir = join(fi.storageDir, AUDIT_WORM_PREFIX);
    const shards = await readdir(wormDir);
    expect(shards.length).toBeGreaterThanOrEqual(1);
    // A sweep with no grace period removes every unreferenced blob, but not the WORM copy.
    await sweepHostedStorage({ ...fi.deps, config: { ...fi.deps.config, strayGraceMs: -60_000 } });
    let copies = 0;
    for (const shard of shards) copies += (await readdir(join(wormDir, shard))).length;
    expect(copies).toBe(2);

    const list = await getAs(fi.url, "/api/audit/checkpoints", bearer(auditor));
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: { id: number }[] }).items.map((i) => i.id)).toEqual([cp.id, cp.id - 1]);
    expect((await getAs(fi.url, "/api/audit/checkpoints", bearer(officer))).status).toBe(403);

    expect(await verify()).toMatchObject({ intact: true, truncated: false, checkpoint: { id: cp.id, signature_valid: true, source: "database+worm" } });
  });

  it("signs periodically, only when the head moved", async () => {
    const region = await startTestRegion("FI-HEL", { auditCheckpointIntervalMs: 1000 });
    const client = postgresClient(region.databaseUrl, { max: 1 });
    try {
      await getAs(region.url, "/api/audit/operations?limit=1");
      const count = async () => ((await client`select count(*)::int as n, min(trigger) as t from audit_checkpoints`) as unknown as [{ n: number; t: string }])[0];
      for (let i = 0; i < 100 && (await count()).n === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await count()).toEqual({ n: 1, t: "periodic" });
      // Nothing new in the log: the next ticks sign nothing.
      await new Promise((r) => setTimeout(r, 2500));
      expect((await count()).n).toBe(1);
    } finally {
      await client.end();
      await region.destroy();
    }
  });

  it("reports truncation when the newest rows are deleted with SQL", async () => {
    await freshRegion();
    const [cp] = await sql`select last_id from audit_checkpoints order by id desc limit 1`;
    const cut = Number(cp!.last_id) - 5;
    await sql`delete from operations_log where id > ${cut}`;
    const report = await verify();
    // The remaining chain is internally consistent: only the checkpoint shows what is gone.
    expect(report.first_broken).toBeUndefined();
    expect(report).toMatchObject({ intact: false, truncated: true });
    expect(report.checkpoint_problems.some((p: any) => p.problem === "truncated" && p.last_id === Number(cp!.last_id))).toBe(true);
  });

  it("reports a consistently rewritten chain: the checkpoint's hash no longer matches", async () => {
    await freshRegion();
    expect(await verify()).toMatchObject({ intact: true, truncated: false });
    const rows = await sql`select * from operations_log order by id`;
    const victim = rows.findIndex((r) => r.operation_type === "ListOperations" && r.result === "success");
    // Turn a successful request into a denied one and re-hash every row after it, as an insider would.
    let prev = rows[victim]!.prev_hash as string;
    for (let i = victim; i < rows.length; i++) {
      const r = rows[i]!;
      if (i === victim) Object.assign(r, { result: "denied", status_code: 403 });
      const content = hashedContent({
        requestId: r.request_id, customerId: r.customer_id, operationType: r.operation_type, bucketName: r.bucket_name, objectKey: r.object_key,
        result: r.result, statusCode: r.status_code, errorCode: r.error_code, bytesTransferred: Number(r.bytes_transferred), sourceIp: r.source_ip,
        sourceCountry: r.source_country, crossBorderTransfer: r.cross_border_transfer, complianceInfo: r.compliance_info, durationMs: r.duration_ms,
        principal: r.principal, createdAt: r.created_at,
      } as OperationRow);
      const hash = chainHash(prev, content);
      await sql`update operations_log set result = ${r.result}, status_code = ${r.status_code}, prev_hash = ${prev}, row_hash = ${hash} where id = ${r.id}`;
      prev = hash;
    }
    const report = await verify();
    expect(report.first_broken).toBeUndefined();
    expect(report.intact).toBe(false);
    expect(report.checkpoint_problems.map((p: any) => p.problem)).toContain("hash_mismatch");
  });

  it("still checks against the WORM copies when checkpoint rows are deleted, and refuses forged ones", async () => {
    await freshRegion();
    const [latest] = await sql`select * from audit_checkpoints order by id desc limit 1`;
    await sql`delete from audit_checkpoints`;
    const [head] = await sql`select id from operations_log order by id desc limit 1`;
    await sql`delete from operations_log where id > ${Number(latest!.last_id) - 2}`;
    const report = await verify();
    expect(report).toMatchObject({ intact: false, truncated: true, checkpoint: { id: null, source: "worm", last_id: Number(latest!.last_id) } });
    expect(Number(head!.id)).toBeGreaterThan(Number(latest!.last_id));

    // A checkpoint row forged to bless the truncated log does not verify with the region's key.
    const [now] = await sql`select id, row_hash, (select count(*) from operations_log)::int as n from operations_log order by id desc limit 1`;
    const payload = JSON.stringify({ created_at: new Date().toISOString(), last_hash: now!.row_hash, last_id: Number(now!.id), region: "FI-HEL", row_count: now!.n });
    await sql`insert into audit_checkpoints (region, last_id, last_hash, row_count, payload, signature, key_fingerprint, worm_storage_key, retention_mode, retain_until, provider_locked, trigger, created_at)
      values ('FI-HEL', ${Number(now!.id)}, ${now!.row_hash}, ${now!.n}, ${payload}, ${Buffer.alloc(64, 1).toString("base64")}, 'x', 'x', 'COMPLIANCE', now(), false, 'on_demand', now())`;
    const forged = await verify();
    expect(forged.truncated).toBe(true);
    expect(forged.checkpoint_problems.map((p: any) => p.problem)).toContain("bad_signature");
  });
});
