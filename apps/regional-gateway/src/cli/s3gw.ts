// Operator commands of a regional gateway, run with the gateway's own environment
// (REGION_ID, DATABASE_URL or PGLITE_DIR, storage and MASTER_KEYS settings):
//   npm run s3gw -- migrate-storage --customer acme-corp --from fi-hel-fs --to cust-… [--dry-run] [--batch-size 100]
import { parseArgs } from "node:util";
import pino from "pino";
import { loadConfig } from "../config.ts";
import { openRegionalDeps } from "../deps.ts";
import { migrateCustomerStorage } from "../services/storage-migration.ts";

const USAGE = `usage: s3gw migrate-storage --customer <id> --from <target id> --to <target id> [--dry-run] [--batch-size N]
  Targets: the region's hosted provider id (e.g. fi-hel-fs) or a customer bucket target (cust-…,
  see GET /api/customers/<id>/storage). Resumable: run it again after a failure.`;

function progressBar(done: number, total: number): void {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write("\n");
}

async function migrateStorage(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      customer: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "batch-size": { type: "string", default: "100" },
    },
  });
  const batchSize = Number(values["batch-size"]);
  if (!values.customer || !values.from || !values.to || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  const { deps, close } = await openRegionalDeps(config, { logger: pino({ level: "warn" }) });
  try {
    const summary = await migrateCustomerStorage(deps, {
      customerId: values.customer,
      from: values.from,
      to: values.to,
      dryRun: values["dry-run"],
      batchSize,
      ...(process.stderr.isTTY ? { onProgress: progressBar } : {}),
    });
    const { failures, ...counts } = summary;
    console.log(`${summary.dry_run ? "dry run: would migrate" : "migrated"} ${counts.migrated} of ${counts.total} objects (${counts.bytes} bytes); skipped ${counts.skipped}, failed ${counts.failed}`);
    for (const f of failures.slice(0, 20)) console.log(`  failed: ${f.bucket}/${f.key}: ${f.error}`);
    if (failures.length > 20) console.log(`  … and ${failures.length - 20} more`);
    console.log(JSON.stringify(counts));
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await close();
  }
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "migrate-storage") process.exitCode = await migrateStorage(rest);
  else {
    console.error(USAGE);
    process.exitCode = 2;
  }
} catch (err) {
  console.error(`s3gw: ${(err as Error).message}`);
  process.exitCode = 1;
}
