import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  const acme = await registerWithBuckets(fi.url, "acme-corp", ["documents"]);
  // Concurrent requests share audit batches; the chain must still be one line.
  await Promise.all(Array.from({ length: 40 }, (_, i) => acme(`/documents/f${i}.txt`, { method: "PUT", body: `file ${i}` })));
  await Promise.all(Array.from({ length: 20 }, (_, i) => acme(`/documents/f${i}.txt`)));
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

const verify = async () => (await (await fetch(`${fi.url}/api/audit/verify`, { headers: adminAuth })).json()) as Record<string, unknown>;

describe("tamper-evident operations log", () => {
  it("writes a row per operation before answering, each linked to the previous one", async () => {
    const [{ n }] = (await sql`select count(*)::int as n from operations_log where customer_id = 'acme-corp' and operation_type = 'PutObject'`) as unknown as [{ n: number }];
    expect(n).toBe(40);
    const rows = await sql`select id, prev_hash, row_hash from operations_log order by id`;
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.row_hash);
    expect(rows[0]!.prev_hash).toBe("0".repeat(64));
  });

  it("reports an intact chain", async () => {
    const report = await verify();
    expect(report).toMatchObject({ region: "FI-HEL", intact: true });
    expect(report.rows).toBeGreaterThanOrEqual(62);
  });

  it("finds a row edited behind the gateway's back", async () => {
    const [victim] = await sql`select id from operations_log where operation_type = 'GetObject' order by id limit 1 offset 3`;
    await sql`update operations_log set result = 'denied' where id = ${victim!.id}`;
    const report = await verify();
    expect(report).toMatchObject({ intact: false, first_broken: { id: Number(victim!.id) } });
    expect((report.first_broken as { reason: string }).reason).toMatch(/modified/);
    await sql`update operations_log set result = 'success' where id = ${victim!.id}`;
    expect(await verify()).toMatchObject({ intact: true });
  });

  it("finds a row deleted behind the gateway's back", async () => {
    const [victim] = await sql`select id from operations_log where operation_type = 'PutObject' order by id limit 1 offset 5`;
    await sql`delete from operations_log where id = ${victim!.id}`;
    const report = await verify();
    expect(report.intact).toBe(false);
    expect((report.first_broken as { id: number }).id).toBeGreaterThan(Number(victim!.id));
    expect((report.first_broken as { reason: string }).reason).toMatch(/removed/);
  });
});
