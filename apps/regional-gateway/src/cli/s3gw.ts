// Operator commands of a regional gateway. They talk to the running gateway's admin API and
// never open its database: a second process moving objects behind a live gateway lost them.
//   npm run s3gw -- migrate-storage --to cust-… [--customer acme-corp] [--from fi-hel-fs] [--dry-run]
//       [--batch-size 100] [--override-protection "<reason>"] [--url http://127.0.0.1:8001] [--token …]
// The URL defaults to S3GW_URL, else http://127.0.0.1:$PORT (8001); the token to S3GW_TOKEN, else ADMIN_TOKEN.
// Ctrl-C asks the gateway to cancel: the object being moved is finished, then the summary is printed.
import { parseArgs } from "node:util";

const USAGE = `usage: s3gw migrate-storage --to <target id> [--customer <id>] [--from <target id>] [--dry-run] [--batch-size N]
                      [--override-protection "<reason>"] [--url <gateway URL>] [--token <admin token>]
  Targets: the region's hosted provider id (e.g. fi-hel-fs) or a customer bucket target (cust-…,
  see GET /api/customers/<id>/storage). Runs inside the gateway; resumable: run it again after a failure.
  --override-protection moves legal-held and retained objects to a target without object lock (recorded).`;

interface Run {
  migration_id: string;
  status: string;
  dry_run: boolean;
  total: number;
  processed: number;
  migrated: number;
  skipped: number;
  failed: number;
  bytes: number;
  issues: { bucket: string; key: string; outcome: string; reason: string }[];
  error: string | null;
}

const FINISHED = new Set(["completed", "cancelled", "failed", "interrupted"]);

function progressBar(done: number, total: number): void {
  const width = 30;
  const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
  process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}`);
}

async function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<Run> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: { error?: { code: string; message: string } } & Partial<Run>;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new Error(`${method} ${path}: HTTP ${res.status}`);
  }
  if (!res.ok) throw new Error(`${json.error?.message ?? `HTTP ${res.status}`} (${json.error?.code ?? res.status})`);
  return json as Run;
}

async function migrateStorage(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      customer: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "batch-size": { type: "string", default: "100" },
      "override-protection": { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
      "poll-ms": { type: "string", default: "500" },
    },
  });
  const batchSize = Number(values["batch-size"]);
  const pollMs = Number(values["poll-ms"]);
  const base = (values.url ?? env.S3GW_URL ?? `http://127.0.0.1:${env.PORT ?? "8001"}`).replace(/\/+$/, "");
  const token = values.token ?? env.S3GW_TOKEN ?? env.ADMIN_TOKEN;
  if (!values.to || !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000 || !(pollMs >= 10)) {
    console.error(USAGE);
    return 2;
  }
  if (!token) {
    console.error("s3gw: an admin token is required (--token, S3GW_TOKEN or ADMIN_TOKEN)");
    return 2;
  }
  let run = await call(base, token, "POST", "/api/storage-migrations", {
    to_target: values.to,
    ...(values.customer ? { customer_id: values.customer } : {}),
    ...(values.from ? { from_target: values.from } : {}),
    dry_run: values["dry-run"],
    batch_size: batchSize,
    ...(values["override-protection"] ? { protection_override: { reason: values["override-protection"] } } : {}),
  });
  console.error(`migration ${run.migration_id} started on ${base}`);
  let cancelling = false;
  const onInt = () => {
    if (cancelling) return;
    cancelling = true;
    process.stderr.write("\ncancelling: the object being moved is finished first…\n");
    call(base, token, "POST", `/api/storage-migrations/${run.migration_id}/cancel`).catch((err: unknown) => console.error(`s3gw: cancel failed: ${(err as Error).message}`));
  };
  process.on("SIGINT", onInt);
  try {
    while (!FINISHED.has(run.status)) {
      await new Promise((r) => setTimeout(r, pollMs));
      run = await call(base, token, "GET", `/api/storage-migrations/${run.migration_id}`);
      if (process.stderr.isTTY) progressBar(run.processed, run.total);
    }
  } finally {
    process.off("SIGINT", onInt);
  }
  if (process.stderr.isTTY) process.stderr.write("\n");
  const { issues, ...counts } = run;
  console.log(`${run.status}: ${run.dry_run ? "would migrate" : "migrated"} ${run.migrated} of ${run.total} objects (${run.bytes} bytes); skipped ${run.skipped}, failed ${run.failed}`);
  for (const i of issues.slice(0, 20)) console.log(`  ${i.outcome}: ${i.bucket}/${i.key}: ${i.reason}`);
  if (issues.length > 20) console.log(`  … and ${issues.length - 20} more (GET /api/storage-migrations/${run.migration_id})`);
  if (run.error) console.log(`  ${run.error}`);
  console.log(JSON.stringify(counts));
  if (run.status === "cancelled") return 130;
  return run.status === "completed" && run.failed === 0 ? 0 : 1;
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "migrate-storage") process.exitCode = await migrateStorage(rest, process.env);
  else {
    console.error(USAGE);
    process.exitCode = 2;
  }
} catch (err) {
  console.error(`s3gw: ${(err as Error).message}`);
  process.exitCode = 1;
}
