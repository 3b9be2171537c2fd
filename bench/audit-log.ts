// Throughput of the hash-chained operations log: concurrent `record` calls committed in
// shared batches (what the gateway does) against one transaction per row (the reference),
// on the same Postgres server in the same run.   npm run bench:audit   (ROWS=4000 CONCURRENCY=64)
import { createTestDatabase } from "@s3gw/db/testing";
import { openDatabase } from "@s3gw/db";
import { regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import pino from "pino";
import { AuditLog, verifyChain, type OperationRow } from "../apps/regional-gateway/src/services/audit/audit.ts";

const ROWS = Number(process.env.ROWS ?? 4000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);

function row(i: number): OperationRow {
  return {
    requestId: `bench-${i}`, customerId: "bench", operationType: "PutObject", bucketName: "b", objectKey: `k${i}`,
    result: "success", statusCode: 200, errorCode: null, bytesTransferred: 1024, sourceIp: "127.0.0.1", sourceCountry: "FI",
    crossBorderTransfer: false, complianceInfo: { residency: "ok" }, durationMs: 3, principal: "customer:bench", createdAt: new Date(),
  };
}

async function run(maxBatch: number): Promise<{ perSecond: number; intact: boolean }> {
  const target = await createTestDatabase(`bench_audit_${maxBatch}`);
  const database = await openDatabase({ url: target.url, poolSize: 4 }, regionalSchema);
  try {
    await database.migrate(regionalMigrationsFolder);
    const log = new AuditLog(database, pino({ level: "silent" }), { maxBatch });
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < ROWS) await log.record(row(next++));
    }));
    const perSecond = ROWS / ((performance.now() - started) / 1000);
    const report = await verifyChain(database.db);
    return { perSecond, intact: report.intact };
  } finally {
    await database.close();
    await target.drop();
  }
}

const batched = await run(500);
const single = await run(1);
console.log(`\nHash-chained operations log, ${ROWS} rows from ${CONCURRENCY} concurrent requests (Postgres server on loopback)\n`);
console.log("| writer | rows/s | vs one transaction per row | chain intact |");
console.log("|---|---:|---:|---|");
console.log(`| batched (gateway, up to 500 rows per commit) | ${batched.perSecond.toFixed(0)} | ${(batched.perSecond / single.perSecond).toFixed(1)}x | ${batched.intact} |`);
console.log(`| one transaction per row (reference) | ${single.perSecond.toFixed(0)} | 1.0x | ${single.intact} |`);
