// The tamper-evident operations log: verify the chain, export it (JSON Lines), sign and list checkpoints.
import type { Command } from "commander";
import { act, intOption, record, saveBody, table } from "../context.ts";
import { call, callRaw } from "../http.ts";

interface Verify {
  intact: boolean;
  rows: number;
  last_id: number | null;
  truncated: boolean;
  first_broken?: unknown;
  checkpoint_problems?: unknown[];
}

interface Operation {
  id: number;
  created_at: string;
  customer_id: string | null;
  operation: string;
  bucket: string | null;
  key: string | null;
  result: string;
  status_code: number | null;
}

interface Checkpoint {
  id: number;
  last_id: number;
  row_count: number;
  created_at: string;
  trigger: string;
  key_fingerprint: string;
}

export function auditCommands(program: Command): void {
  const audit = program.command("audit").description("the region's tamper-evident audit log (regional gateway)");

  audit
    .command("verify")
    .description("walk the hash chain and check it against every signed checkpoint (exit 1 when it is not intact)")
    .action(
      act(async (ctx) => {
        const v = await call<Verify>(await ctx.settings.region(), "GET", "/api/audit/verify");
        ctx.emit(v, () => `${v.intact ? "intact" : "NOT INTACT"}\n${record(v)}`);
        if (!v.intact) process.exitCode = 1;
      }),
    );

  audit
    .command("export")
    .description("export the log as JSON Lines, with the covering checkpoints")
    .option("--from-id <n>", "first row id", intOption(1, Number.MAX_SAFE_INTEGER))
    .option("--to-id <n>", "last row id", intOption(1, Number.MAX_SAFE_INTEGER))
    .option("--from <time>", "ISO time (with --to)")
    .option("--to <time>", "ISO time (with --from)")
    .option("--out <file>", "write to this file (mode 0600) instead of standard output")
    .action(
      act(async (ctx, o) => {
        const res = await callRaw(await ctx.settings.region(), "GET", "/api/audit/export", {
          query: { from_id: o.fromId as number, to_id: o.toId as number, from: o.from as string, to: o.to as string },
        });
        const bytes = await saveBody(res, o.out as string | undefined);
        if (o.out) process.stderr.write(`wrote ${bytes} bytes to ${String(o.out)}\n`);
      }),
    );

  const checkpoints = audit.command("checkpoints").description("signed checkpoints of the chain head");
  checkpoints
    .command("list")
    .description("the checkpoints, newest first")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: Checkpoint[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/audit/checkpoints", {
          query: { limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["id", (c) => c.id],
            ["last id", (c) => c.last_id],
            ["rows", (c) => c.row_count],
            ["created", (c) => c.created_at],
            ["trigger", (c) => c.trigger],
            ["key", (c) => c.key_fingerprint.slice(0, 16)],
          ], page.next_cursor),
        );
      }),
    );
  checkpoints
    .command("create")
    .description("sign the chain head now (admin)")
    .action(
      act(async (ctx) => {
        const c = await call<Checkpoint>(await ctx.settings.region(), "POST", "/api/audit/checkpoints");
        ctx.emit(c, () => record(c, ["id", "last_id", "row_count", "created_at", "key_fingerprint"]));
      }),
    );

  audit
    .command("public-key")
    .description("the region's Ed25519 public key (PEM), to verify checkpoints offline")
    .action(
      act(async (ctx) => {
        const res = await callRaw(await ctx.settings.region(), "GET", "/api/audit/public-key", { auth: false });
        const pem = await res.text();
        ctx.emit({ public_key: pem, fingerprint: res.headers.get("x-s3gw-key-fingerprint") }, () => pem);
      }),
    );

  audit
    .command("operations")
    .description("the operations log, newest first")
    .option("--customer <id>", "customer id")
    .option("--operation <name>", "operation, e.g. PutObject")
    .option("--result <result>", "success, denied or error")
    .option("--bucket <bucket>", "bucket")
    .option("--key-prefix <prefix>", "object key prefix")
    .option("--from <time>", "ISO time")
    .option("--to <time>", "ISO time")
    .option("--cross-border-only", "only cross-border operations")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: Operation[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/audit/operations", {
          query: {
            customer_id: o.customer as string, operation: o.operation as string, result: o.result as string, bucket: o.bucket as string,
            key_prefix: o.keyPrefix as string, from: o.from as string, to: o.to as string, cross_border_only: o.crossBorderOnly ? "true" : undefined,
            limit: o.limit as number, cursor: o.cursor as string,
          },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["id", (r) => r.id],
            ["time", (r) => r.created_at],
            ["customer", (r) => r.customer_id],
            ["operation", (r) => r.operation],
            ["bucket", (r) => r.bucket],
            ["key", (r) => r.key],
            ["result", (r) => r.result],
            ["status", (r) => r.status_code],
          ], page.next_cursor),
        );
      }),
    );
}
