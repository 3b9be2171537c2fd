import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { globalMigrationsFolder, globalSchema, routingLog } from "@s3gw/schema-global";
import { asc } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertRoutingLogRows, RoutingLogBuffer, type RoutingLogEntry } from "../src/routing-log.ts";

const silent = pino({ level: "silent" });

const row = (i: number): RoutingLogEntry => ({
  // Quotes, backslashes and non-ASCII travel inside the JSON batch untouched.
  customerId: i === 0 ? `quote-"\\-ä-${i}` : `c-${i}`,
  regionId: i % 2 ? "FI-HEL" : "DE-FRA",
  method: i % 3 ? "GET" : "PUT",
  statusCode: 200 + (i % 5),
  durationMs: i * 7,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)),
});

async function rowsIn(database: Database<typeof globalSchema>) {
  const rows = await database.db
    .select({ customerId: routingLog.customerId, regionId: routingLog.regionId, method: routingLog.method, statusCode: routingLog.statusCode, durationMs: routingLog.durationMs, createdAt: routingLog.createdAt })
    .from(routingLog)
    .orderBy(asc(routingLog.id));
  return rows;
}

// The batch insert runs on both engines the router supports: a Postgres server and embedded PGlite.
describe.each(["postgres", "pglite"] as const)("routing-log batch insert on %s", (kind) => {
  let database: Database<typeof globalSchema>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (kind === "postgres") {
      const testDb = await createTestDatabase("routing_log_insert");
      database = await openDatabase({ url: testDb.url, poolSize: 2 }, globalSchema);
      cleanup = () => testDb.drop();
    } else {
      const dir = await mkdtemp(join(tmpdir(), "routing-log-pglite-"));
      database = await openDatabase({ pgliteDir: join(dir, "db") }, globalSchema);
      cleanup = () => rm(dir, { recursive: true, force: true });
    }
    await database.migrate(globalMigrationsFolder);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await cleanup?.();
  });

  it("writes every buffered row, field for field and in order, in batches of one statement", async () => {
    const buf = new RoutingLogBuffer({ insert: insertRoutingLogRows(database.db), logger: silent, batchSize: 500, flushIntervalMs: 60_000 });
    const sent = Array.from({ length: 1_234 }, (_, i) => row(i));
    for (const r of sent) buf.record(r);
    await buf.close();
    expect(buf.stats()).toMatchObject({ written: 1_234, dropped: 0, buffered: 0 });
    expect(await rowsIn(database)).toEqual(sent);
  });

  it("an empty batch is no statement at all", async () => {
    await expect(insertRoutingLogRows(database.db)([])).resolves.toBeUndefined();
  });
});
