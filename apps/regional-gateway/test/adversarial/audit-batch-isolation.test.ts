// Defence in depth: the edge refuses unstorable input, but if a row the database refuses still
// reaches the shared audit batch, only that row's request may fail. Written through AuditLog
// directly, against a real Postgres server.
import { openDatabase, postgresClient } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import pino from "pino";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog, verifyChain, type OperationRow } from "../../src/services/audit/audit.ts";
import { UNSTORABLE_TEXT } from "../../src/services/audit/audit-content.ts";

let target: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Awaited<ReturnType<typeof openDatabase<typeof regionalSchema>>>;
let sql: postgres.Sql;

beforeAll(async () => {
  target = await createTestDatabase("audit_batch");
  database = await openDatabase({ url: target.url, poolSize: 4 }, regionalSchema);
  await database.migrate(regionalMigrationsFolder);
  sql = postgresClient(target.url, { max: 1 });
  // A refusal the sanitiser cannot know about: a constraint of this test database only.
  await sql`alter table operations_log add constraint test_refuses check (object_key is distinct from 'refuse-me')`;
});
afterAll(async () => {
  await sql?.end();
  await database?.close();
  await target?.drop();
});

function row(customer: string, i: number, patch: Partial<OperationRow> = {}): OperationRow {
  return {
    requestId: `${customer}-${i}`, customerId: customer, operationType: "GetObject", bucketName: "b", objectKey: `k${i}`,
    result: "success", statusCode: 200, errorCode: null, bytesTransferred: 10, sourceIp: "127.0.0.1", sourceCountry: "FI",
    crossBorderTransfer: false, complianceInfo: { residency: "ok" }, durationMs: 2, principal: `customer:${customer}`, createdAt: new Date(),
    ...patch,
  };
}

describe("a row the database refuses fails only its own request", () => {
  it("commits every good row of a shared batch, rejects only the refused ones, and keeps one chain in id order", async () => {
    const log = new AuditLog(database, pino({ level: "silent" }), { maxBatch: 500 });
    const good = Array.from({ length: 400 }, (_, i) => row("victim", i));
    const refused = Array.from({ length: 4 }, (_, i) => row("attacker", i, { objectKey: "refuse-me" }));
    // The inputs that broke batches in production (NUL in a key, lone surrogate in JSON): now
    // made storable by AuditLog itself, so they are written too.
    const hostile = [
      row("attacker", 100, { objectKey: "a\u0000b" }),
      row("attacker", 101, { complianceInfo: { reason: "x\udc00y" } }),
      row("attacker", 102, { complianceInfo: { ["k\u0000"]: 1 } }),
    ];
    // Interleaved, all recorded before the first flush so they share batches.
    const all = [...good];
    all.splice(50, 0, refused[0]!, hostile[0]!);
    all.splice(200, 0, refused[1]!, hostile[1]!);
    all.splice(300, 0, refused[2]!, refused[3]!, hostile[2]!);
    const outcomes = await Promise.allSettled(all.map((r) => log.record(r)));
    await log.close();

    const failedIds = all.filter((_, i) => outcomes[i]!.status === "rejected").map((r) => r.requestId);
    expect(failedIds.sort()).toEqual(refused.map((r) => r.requestId).sort());

    const [{ n }] = (await sql`select count(*)::int as n from operations_log where customer_id = 'victim'`) as unknown as [{ n: number }];
    expect(n).toBe(400);
    const stored = await sql`select object_key, compliance_info from operations_log where customer_id = 'attacker' order by id`;
    expect(stored.map((r) => r.object_key)).toEqual([UNSTORABLE_TEXT, "k101", "k102"]);
    expect(stored[1]!.compliance_info).toEqual({ reason: UNSTORABLE_TEXT });
    expect(Object.keys(stored[2]!.compliance_info as object)).toEqual([`${UNSTORABLE_TEXT}#0`]);

    // Rows are committed in the order they were recorded, and the chain follows the ids.
    const order = await sql`select request_id from operations_log order by id`;
    expect(order.map((r) => r.request_id)).toEqual(all.filter((r) => r.objectKey !== "refuse-me").map((r) => r.requestId));
    expect(await verifyChain(database.db)).toMatchObject({ intact: true, rows: 403 });
  });

  it("fails a whole batch at once when the database is unreachable (no per-row retry storm)", async () => {
    const gone = await openDatabase({ url: target.url.replace(/\/[^/]+$/, "/s3gw_no_such_database"), poolSize: 1 }, regionalSchema);
    const log = new AuditLog(gone, pino({ level: "silent" }), { maxBatch: 500 });
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => log.record(row("victim", 1000 + i))));
    await log.close();
    await gone.close();
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
  });
});
