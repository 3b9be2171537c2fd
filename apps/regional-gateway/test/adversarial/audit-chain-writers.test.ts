// The audit writer keeps the chain head in memory while it holds the chain lock on a
// connection of its own. These tests try to fork or stall the chain: two writers (two gateway
// instances of one region) appending at once, a writer whose connection is killed while it
// holds the lock, and a busy writer that must still let the other instance take turns.
import { openDatabase, postgresClient } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import pino from "pino";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_WRITER_NAME, AuditLog, verifyChain, type OperationRow } from "../../src/services/audit/audit.ts";

let target: Awaited<ReturnType<typeof createTestDatabase>>;
let a: Awaited<ReturnType<typeof openDatabase<typeof regionalSchema>>>;
let b: Awaited<ReturnType<typeof openDatabase<typeof regionalSchema>>>;
let sql: postgres.Sql;
const silent = pino({ level: "silent" });

beforeAll(async () => {
  target = await createTestDatabase("audit_writers");
  a = await openDatabase({ url: target.url, poolSize: 2 }, regionalSchema);
  await a.migrate(regionalMigrationsFolder);
  b = await openDatabase({ url: target.url, poolSize: 2 }, regionalSchema);
  sql = postgresClient(target.url, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await a?.close();
  await b?.close();
  await target?.drop();
});

function row(instance: string, i: number): OperationRow {
  return {
    requestId: `${instance}-${i}`, customerId: "acme", operationType: "PutObject", bucketName: "b", objectKey: `k${i}`,
    result: "success", statusCode: 200, errorCode: null, bytesTransferred: 4096, sourceIp: "127.0.0.1", sourceCountry: "FI",
    crossBorderTransfer: false, complianceInfo: {}, durationMs: 1, principal: "customer:acme", createdAt: new Date(),
  };
}

async function rowCount(): Promise<number> {
  const [r] = await sql`select count(*)::int as n from operations_log`;
  return r!.n as number;
}

describe("the in-memory chain head", () => {
  it("two writers of one region appending at once keep one intact chain with every row", async () => {
    const before = await rowCount();
    const one = new AuditLog(a, silent, { maxBatch: 7 });
    const two = new AuditLog(b, silent, { maxBatch: 5 });
    const writes: Promise<void>[] = [];
    // Interleaved bursts with pauses, so each writer gives up and retakes the lock many times
    // and appends under a head the other one moved.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 15; i++) {
        writes.push(one.record(row("one", round * 100 + i)));
        writes.push(two.record(row("two", round * 100 + i)));
      }
      await new Promise((r) => setTimeout(r, round % 3 === 0 ? 12 : 1));
    }
    await Promise.all(writes);
    await Promise.all([one.close(), two.close()]);
    expect(await rowCount()).toBe(before + 600);
    expect(await verifyChain(a.db)).toMatchObject({ intact: true });
  });

  it("a writer whose connection is killed while it holds the lock fails only what it could not commit, and the chain continues", async () => {
    const before = await rowCount();
    const victim = new AuditLog(a, silent, { lingerMs: 60_000, maxHoldMs: 60_000 });
    await victim.record(row("victim", 1)); // now holds the lock, lingering
    const [held] = await sql`select pid from pg_stat_activity where application_name = ${AUDIT_WRITER_NAME} and datname = current_database()`;
    expect(held).toBeDefined();
    await sql`select pg_terminate_backend(${held!.pid as number})`;
    // The other instance is not blocked by a lock that died with its session.
    const other = new AuditLog(b, silent);
    await other.record(row("other", 1));
    // The victim's next batch fails on the dead connection or succeeds on a new one; either way
    // it never appends under a stale head.
    const outcomes = await Promise.allSettled([victim.record(row("victim", 2)), victim.record(row("victim", 3))]);
    await victim.record(row("victim", 4));
    await victim.close(); // it lingers on the lock for a minute otherwise
    await other.record(row("other", 2));
    await other.close();
    const committed = outcomes.filter((o) => o.status === "fulfilled").length;
    expect(await rowCount()).toBe(before + 4 + committed);
    expect(await verifyChain(a.db)).toMatchObject({ intact: true });
  });

  it("a writer that keeps busy still lets the other instance's writer take turns", async () => {
    const busy = new AuditLog(a, silent, { maxHoldMs: 20 });
    const other = new AuditLog(b, silent);
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && i < 5000; i++) await Promise.all(Array.from({ length: 4 }, (_, j) => busy.record(row("busy", i * 10 + j))));
    })();
    // Each of these must get its turn while the busy writer never pauses.
    for (let i = 0; i < 10; i++) await other.record(row("patient", i));
    stop = true;
    await load;
    await Promise.all([busy.close(), other.close()]);
    expect(await verifyChain(a.db)).toMatchObject({ intact: true });
  });
});
