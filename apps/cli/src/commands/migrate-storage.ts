// Storage migrations, run inside the regional gateway (never from here: a second process moving
// objects behind a live gateway lost them). migrate-storage starts one, follows it and prints the summary;
// Ctrl-C asks the gateway to cancel: the object being moved is finished, then the summary is printed.
import type { Command } from "commander";
import { act, intOption, record, table } from "../context.ts";
import { call, type Endpoint, seg } from "../http.ts";

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

async function follow(ep: Endpoint, first: Run, pollMs: number): Promise<Run> {
  let run = first;
  let cancelling = false;
  const onInt = () => {
    if (cancelling) return;
    cancelling = true;
    process.stderr.write("\ncancelling: the object being moved is finished first…\n");
    call(ep, "POST", `/api/storage-migrations/${seg(run.migration_id)}/cancel`).catch((err: unknown) => process.stderr.write(`s3gw: cancel failed: ${(err as Error).message}\n`));
  };
  process.on("SIGINT", onInt);
  try {
    while (!FINISHED.has(run.status)) {
      await new Promise((r) => setTimeout(r, pollMs));
      run = await call<Run>(ep, "GET", `/api/storage-migrations/${seg(run.migration_id)}`);
      if (process.stderr.isTTY) progressBar(run.processed, run.total);
    }
  } finally {
    process.off("SIGINT", onInt);
  }
  if (process.stderr.isTTY) process.stderr.write("\n");
  return run;
}

function summary(run: Run): string {
  const { issues, ...counts } = run;
  const lines = [`${run.status}: ${run.dry_run ? "would migrate" : "migrated"} ${run.migrated} of ${run.total} objects (${run.bytes} bytes); skipped ${run.skipped}, failed ${run.failed}`];
  for (const i of issues.slice(0, 20)) lines.push(`  ${i.outcome}: ${i.bucket}/${i.key}: ${i.reason}`);
  if (issues.length > 20) lines.push(`  … and ${issues.length - 20} more (s3gw migrations get ${run.migration_id})`);
  if (run.error) lines.push(`  ${run.error}`);
  lines.push(JSON.stringify(counts));
  return lines.join("\n");
}

export function migrationCommands(program: Command): void {
  program
    .command("migrate-storage")
    .description("move a region's or a customer's objects to another storage target, inside the gateway (resumable: run it again after a failure)")
    .requiredOption("--to <target>", "the region's hosted provider id (e.g. fi-hel-fs) or a customer bucket target (cust-…, see `s3gw storage get`)")
    .option("--customer <id>", "only this customer's objects")
    .option("--from <target>", "only objects on this target")
    .option("--dry-run", "count what would move; move nothing")
    .option("--batch-size <n>", "objects per batch (1-1000)", intOption(1, 1000), 100)
    .option("--override-protection <reason>", "move legal-held and retained objects to a target without object lock (recorded)")
    .option("--url <url>", "the regional gateway (same as --region-endpoint)")
    .option("--poll-ms <ms>", "how often to poll the run", intOption(10, 60_000), 500)
    .action(
      act(async (ctx, o) => {
        const ep = o.url ? { url: String(o.url).replace(/\/+$/, ""), token: ctx.settings.token } : await ctx.settings.region();
        const started = await call<Run>(ep, "POST", "/api/storage-migrations", {
          body: {
            to_target: o.to,
            ...(o.customer ? { customer_id: o.customer } : {}),
            ...(o.from ? { from_target: o.from } : {}),
            dry_run: Boolean(o.dryRun),
            batch_size: o.batchSize,
            ...(o.overrideProtection ? { protection_override: { reason: o.overrideProtection } } : {}),
          },
        });
        process.stderr.write(`migration ${started.migration_id} started on ${ep.url}\n`);
        const run = await follow(ep, started, o.pollMs as number);
        ctx.emit(run, () => summary(run));
        process.exitCode = run.status === "cancelled" ? 130 : run.status === "completed" && run.failed === 0 ? 0 : 1;
      }),
    );

  const migrations = program.command("migrations").description("storage migration runs of a region");
  migrations
    .command("list")
    .description("the region's migration runs")
    .action(
      act(async (ctx) => {
        const r = await call<{ migrations: Run[] }>(await ctx.settings.region(), "GET", "/api/storage-migrations");
        ctx.emit(r, () =>
          table(r.migrations, [
            ["migration id", (m) => m.migration_id],
            ["status", (m) => m.status],
            ["dry run", (m) => m.dry_run],
            ["total", (m) => m.total],
            ["migrated", (m) => m.migrated],
            ["skipped", (m) => m.skipped],
            ["failed", (m) => m.failed],
          ]),
        );
      }),
    );
  for (const [name, method, suffix] of [["get", "GET", ""], ["cancel", "POST", "/cancel"]] as const) {
    migrations
      .command(name)
      .description(name === "get" ? "one run, with its issues" : "ask the gateway to cancel a run")
      .argument("<migration-id>", "migration id")
      .action(
        act(async (ctx, _o, id: string) => {
          const r = await call<Run>(await ctx.settings.region(), method, `/api/storage-migrations/${seg(id)}${suffix}`);
          ctx.emit(r, () => (name === "get" ? summary(r) : record(r, ["migration_id", "status"])));
        }),
      );
  }
}
