import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";
import { recoverAuditIntents } from "../src/services/audit/audit-recovery.ts";
import { runLifecycle } from "../src/services/objects/lifecycle-worker.ts";
import { xmlValue } from "./s3-write-helpers.ts";

// An object change whose audit row cannot be written: the change commits, the request is
// answered 5xx, and only its audit intent says it happened until recovery appends the row.
// The database refuses the row deterministically: a test trigger on operations_log rejects the
// PutObject, DeleteObject and LifecycleExpiration rows of keys starting `gap-` (a constraint-class error, so the
// writer refuses that row alone and the other rows of its batch are written).

let fi: TestRegion;
let sql: postgres.Sql;
let acme: Awaited<ReturnType<typeof registerWithBuckets>>;
let bank: Awaited<ReturnType<typeof registerWithBuckets>>;

const REFUSE_GAP_ROWS = `
  create or replace function test_refuse_gap_rows() returns trigger language plpgsql as $$
  begin
    if new.object_key like 'gap-%' and new.operation_type in ('PutObject', 'DeleteObject', 'LifecycleExpiration') then
      raise exception 'test: this audit row is refused' using errcode = '23514';
    end if;
    return new;
  end $$;
  create trigger test_refuse_gap_rows before insert on operations_log for each row execute function test_refuse_gap_rows();`;
const allowGapRows = () => sql.unsafe("drop trigger if exists test_refuse_gap_rows on operations_log");
const refuseGapRows = async () => {
  await allowGapRows();
  await sql.unsafe(REFUSE_GAP_ROWS);
};

let seq = 0;
/** A request id of our choosing (x-request-id is taken as is when well-formed), to find its rows. */
const rid = () => `test-intent-${process.pid}-${++seq}-${Date.now()}`;

const intents = async () => sql<{ intent_id: string; request_id: string; customer_id: string; operation_type: string; bucket_name: string; object_key: string; version_id: string | null; status_code: number }[]>`
  select intent_id, request_id, customer_id, operation_type, bucket_name, object_key, version_id, status_code from audit_intents order by created_at`;
const rowsOf = (requestId: string) => sql<{ customer_id: string; operation_type: string; object_key: string | null; result: string; status_code: number; compliance_info: Record<string, unknown> }[]>`
  select customer_id, operation_type, object_key, result, status_code, compliance_info from operations_log where request_id = ${requestId} order by id`;
const verify = async () => (await (await fetch(`${fi.url}/api/audit/verify`, { headers: adminAuth })).json()) as { intact: boolean; rows: number };

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1, onnotice: () => {} });
  acme = await registerWithBuckets(fi.url, "acme-corp", ["docs", "history", "aging", "aging-v"]);
  bank = await registerWithBuckets(fi.url, "nordic-bank", ["ledger"]);
  const versioning = `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`;
  expect((await acme("/history?versioning", { method: "PUT", body: versioning })).status).toBe(200);
  expect((await acme("/aging-v?versioning", { method: "PUT", body: versioning })).status).toBe(200);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("audit intents of object changes", () => {
  it("leaves none behind when the change and its row both commit (Put, Copy, Complete, Delete, DeleteObjects, versioned)", async () => {
    expect((await acme("/docs/a.txt", { method: "PUT", body: "a" })).status).toBe(200);
    expect((await acme("/docs/b.txt", { method: "PUT", headers: { "x-amz-copy-source": "/docs/a.txt" } })).status).toBe(200);
    const created = await acme("/docs/big.bin?uploads", { method: "POST" });
    const uploadId = encodeURIComponent(xmlValue(await created.text(), "UploadId")!);
    const part = await acme(`/docs/big.bin?partNumber=1&uploadId=${uploadId}`, { method: "PUT", body: "only part" });
    const complete = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.get("etag")}</ETag></Part></CompleteMultipartUpload>`;
    expect((await acme(`/docs/big.bin?uploadId=${uploadId}`, { method: "POST", body: complete })).status).toBe(200);
    expect((await acme("/history/v.txt", { method: "PUT", body: "v1" })).status).toBe(200);
    expect((await acme("/history/v.txt", { method: "DELETE" })).status).toBe(204);
    expect((await acme("/docs/a.txt", { method: "DELETE" })).status).toBe(204);
    const batch = `<Delete><Object><Key>b.txt</Key></Object><Object><Key>big.bin</Key></Object><Object><Key>never-was</Key></Object></Delete>`;
    expect((await acme("/docs?delete", { method: "POST", body: batch })).status).toBe(200);
    expect(await intents()).toEqual([]);
    expect((await verify()).intact).toBe(true);
  });

  it("leaves none for a change that did not commit (a write condition refused at commit)", async () => {
    expect((await acme("/docs/kept.txt", { method: "PUT", body: "first" })).status).toBe(200);
    await refuseGapRows();
    try {
      // Even with its row refused too, a change rolled back promises nothing.
      const refused = await acme("/docs/gap-cond.txt", { method: "PUT", body: "x", headers: { "if-match": '"0123456789abcdef0123456789abcdef"' } });
      expect(refused.status).toBe(404);
      const overwrite = await acme("/docs/kept.txt", { method: "PUT", body: "second", headers: { "if-none-match": "*" } });
      expect(overwrite.status).toBe(412);
    } finally {
      await allowGapRows();
    }
    expect(await intents()).toEqual([]);
    expect(await (await acme("/docs/kept.txt")).text()).toBe("first");
  });

  it("closes the gap: a PUT whose row fails is committed with an intent, and recovery appends its row once", async () => {
    const requestId = rid();
    await refuseGapRows();
    let res: Response;
    try {
      res = await acme("/docs/gap-put.txt", { method: "PUT", body: "committed", headers: { "x-request-id": requestId } });
    } finally {
      await allowGapRows();
    }
    expect(res.status).toBe(500);
    // The change committed: the object is there, without any row of its request.
    expect(await (await acme("/docs/gap-put.txt")).text()).toBe("committed");
    expect(await rowsOf(requestId)).toEqual([]);
    expect(await intents()).toEqual([
      expect.objectContaining({ request_id: requestId, customer_id: "acme-corp", operation_type: "PutObject", bucket_name: "docs", object_key: "gap-put.txt", version_id: "null", status_code: 200 }),
    ]);
    // An intent younger than the bound is a row possibly on its way: left alone.
    expect(await recoverAuditIntents(fi.deps, 60_000)).toEqual({ recovered: 0 });
    expect(await intents()).toHaveLength(1);

    expect(await recoverAuditIntents(fi.deps, 0)).toEqual({ recovered: 1 });
    const [row, ...more] = await rowsOf(requestId);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ customer_id: "acme-corp", operation_type: "PutObject", object_key: "gap-put.txt", result: "success", status_code: 200 });
    expect(row!.compliance_info).toMatchObject({ recovered: true, version_id: "null" });
    expect(String(row!.compliance_info.reason)).toMatch(/committed.*not written/);
    expect(await intents()).toEqual([]);
    // Idempotent: nothing is left to recover, nothing is appended twice.
    expect(await recoverAuditIntents(fi.deps, 0)).toEqual({ recovered: 0 });
    expect(await rowsOf(requestId)).toHaveLength(1);
    expect((await verify()).intact).toBe(true);
  });

  it("closes it for DeleteObject too, with the delete marker's version", async () => {
    expect((await acme("/history/gap-del.txt", { method: "PUT", body: "v1" })).status).toBe(200);
    const requestId = rid();
    await refuseGapRows();
    let res: Response;
    try {
      res = await acme("/history/gap-del.txt", { method: "DELETE", headers: { "x-request-id": requestId } });
    } finally {
      await allowGapRows();
    }
    expect(res.status).toBe(500);
    expect((await acme("/history/gap-del.txt")).status).toBe(404);
    const [intent] = await intents();
    expect(intent).toMatchObject({ request_id: requestId, operation_type: "DeleteObject", object_key: "gap-del.txt", status_code: 204 });
    expect(intent!.version_id).toMatch(/\S/);
    expect(intent!.version_id).not.toBe("null");
    expect(await recoverAuditIntents(fi.deps, 0)).toEqual({ recovered: 1 });
    const rows = await rowsOf(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ operation_type: "DeleteObject", result: "success", status_code: 204, compliance_info: { recovered: true, version_id: intent!.version_id } });
    expect(await intents()).toEqual([]);
  });

  it("keeps the tenants apart, and another request naming the same request id cannot clear an intent", async () => {
    const acmeId = rid(), bankId = rid();
    await refuseGapRows();
    try {
      expect((await acme("/docs/gap-t.txt", { method: "PUT", body: "acme", headers: { "x-request-id": acmeId } })).status).toBe(500);
      expect((await bank("/ledger/gap-t.txt", { method: "PUT", body: "bank", headers: { "x-request-id": bankId } })).status).toBe(500);
    } finally {
      await allowGapRows();
    }
    // A hostile client reuses the victims' request ids (x-request-id is the client's to choose):
    // its own rows are written under them, and the intents stay, for they are keyed by the gateway's ids.
    expect((await bank("/ledger/other.txt", { method: "PUT", body: "x", headers: { "x-request-id": acmeId } })).status).toBe(200);
    expect((await acme("/docs/gap-t.txt", { headers: { "x-request-id": bankId } })).status).toBe(200);
    const pending = await intents();
    expect(pending.map((i) => [i.request_id, i.customer_id, i.bucket_name])).toEqual([[acmeId, "acme-corp", "docs"], [bankId, "nordic-bank", "ledger"]]);

    expect(await recoverAuditIntents(fi.deps, 0)).toEqual({ recovered: 2 });
    const recovered = await sql<{ request_id: string; customer_id: string; bucket_name: string }[]>`
      select request_id, customer_id, bucket_name from operations_log where compliance_info->>'recovered' = 'true' and request_id in (${acmeId}, ${bankId}) order by id`;
    expect(recovered.map((r) => [r.request_id, r.customer_id, r.bucket_name])).toEqual([[acmeId, "acme-corp", "docs"], [bankId, "nordic-bank", "ledger"]]);
    expect(await intents()).toEqual([]);
    expect((await verify()).intact).toBe(true);
  });
});

describe("audit intents of lifecycle expiry (a worker, its own rows)", () => {
  it("leaves none behind when its rows are written, and one per lost row, recovered under the run's request id", async () => {
    const rules = `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>age</ID><Filter></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`;
    for (const bucket of ["aging", "aging-v"]) {
      expect((await acme(`/${bucket}?lifecycle`, { method: "PUT", body: rules })).status).toBe(200);
      for (const key of ["a-ok.txt", "gap-life.txt"]) expect((await acme(`/${bucket}/${key}`, { method: "PUT", body: key })).status).toBe(200);
    }
    await refuseGapRows();
    try {
      // Two days on, everything is due: the `gap-` rows are refused, the run goes on or fails the bucket.
      await runLifecycle(fi.deps, new Date(Date.now() + 2 * 86_400_000));
    } finally {
      await allowGapRows();
    }
    for (const bucket of ["aging", "aging-v"]) expect((await acme(`/${bucket}/a-ok.txt`)).status).toBe(404);
    const pending = await intents();
    expect(pending.map((i) => [i.bucket_name, i.object_key, i.operation_type, i.customer_id, i.status_code]).sort()).toEqual([
      ["aging", "gap-life.txt", "LifecycleExpiration", "acme-corp", 204],
      ["aging-v", "gap-life.txt", "LifecycleExpiration", "acme-corp", 204],
    ]);
    expect(pending.every((i) => i.request_id.startsWith("lifecycle-"))).toBe(true);
    // The versioned bucket's expiry wrote a delete marker: the intent names it.
    expect(pending.find((i) => i.bucket_name === "aging-v")!.version_id).toMatch(/\S/);
    expect(await recoverAuditIntents(fi.deps, 0)).toEqual({ recovered: 2 });
    const recovered = await sql<{ bucket_name: string; request_id: string }[]>`
      select bucket_name, request_id from operations_log where operation_type = 'LifecycleExpiration' and object_key = 'gap-life.txt' and compliance_info->>'recovered' = 'true'`;
    expect(recovered.map((r) => r.bucket_name).sort()).toEqual(["aging", "aging-v"]);
    expect(recovered.map((r) => r.request_id).sort()).toEqual(pending.map((i) => i.request_id).sort());
    expect(await intents()).toEqual([]);
    expect((await verify()).intact).toBe(true);
  });
});

describe("audit intent recovery across instances", () => {
  let second: TestRegion | undefined;
  afterAll(async () => {
    await second?.destroy();
  });

  it("runs under a lease: two instances on one database append one row per intent", async () => {
    const ids = Array.from({ length: 12 }, () => rid());
    await refuseGapRows();
    try {
      for (const [i, requestId] of ids.entries()) {
        expect((await acme(`/docs/gap-lease-${i}.txt`, { method: "PUT", body: `${i}`, headers: { "x-request-id": requestId } })).status).toBe(500);
      }
    } finally {
      await allowGapRows();
    }
    expect(await intents()).toHaveLength(ids.length);
    // The first instance took the lease at its start and ticks only every 2 minutes: free the
    // lease, as its expiry would. Two more instances of the region on the same database, each
    // recovering every second, then race for it.
    await sql`delete from worker_leases where name = 'audit-intents'`;
    second = await startTestRegion("FI-HEL", { database: { url: fi.databaseUrl, poolSize: 4 }, auditIntentRecoveryAfterMs: 1000 });
    const third = await startTestRegion("FI-HEL", { database: { url: fi.databaseUrl, poolSize: 4 }, auditIntentRecoveryAfterMs: 1000 });
    try {
      const deadline = Date.now() + 20_000;
      while ((await intents()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await intents()).toEqual([]);
      // One more round of ticks on both: nothing recovered twice.
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      await third.destroy();
    }
    const counts = await sql<{ request_id: string; n: number }[]>`
      select request_id, count(*)::int as n from operations_log where request_id in ${sql(ids)} group by request_id`;
    expect(counts.map((c) => c.n)).toEqual(ids.map(() => 1));
    expect(counts).toHaveLength(ids.length);
    const [lease] = await sql<{ holder: string }[]>`select holder from worker_leases where name = 'audit-intents'`;
    expect(lease?.holder).toMatch(/^audit-intents:/);
    expect((await verify()).intact).toBe(true);
  }, 60_000);
});
