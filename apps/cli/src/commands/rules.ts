// Compliance rules per customer (the full set is replaced on put) and legal holds.
import type { Command } from "commander";
import { act, intOption, readJsonFile, record, table } from "../context.ts";
import { call, seg } from "../http.ts";

interface Hold {
  customer_id: string;
  bucket: string;
  key: string;
  version_id: string;
  legal_hold: boolean;
  reason: string | null;
  set_by: string | null;
  retention_mode: string | null;
  retention_until: string | null;
}

/** The answer is {customer_id, rules}: one line per rule. */
const showRules = (r: Record<string, unknown>) => `customer_id: ${String(r.customer_id)}\n${record((r.rules ?? {}) as object)}`;

export function ruleCommands(program: Command): void {
  const rules = program.command("rules").description("a customer's compliance rules (regional gateway)");
  rules
    .command("get")
    .description("show a customer's rules")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, customer: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "GET", `/api/customers/${seg(customer)}/rules`);
        ctx.emit(r, () => showRules(r));
      }),
    );
  rules
    .command("put")
    .description("replace a customer's rules with the JSON in a file (- for standard input)")
    .argument("<customer>", "customer id")
    .requiredOption("--file <path>", "JSON file with the full rule set")
    .action(
      act(async (ctx, o, customer: string) => {
        const body = await readJsonFile(o.file as string);
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "PUT", `/api/customers/${seg(customer)}/rules`, { body });
        ctx.emit(r, () => showRules(r));
      }),
    );
}

export function holdCommands(program: Command): void {
  const holds = program.command("holds").description("legal holds on objects (regional gateway)");
  for (const [name, method, verb] of [["place", "PUT", "placed"], ["lift", "DELETE", "lifted"]] as const) {
    holds
      .command(name)
      .description(`${name} a legal hold, with a reason`)
      .requiredOption("--customer <id>", "customer id")
      .requiredOption("--bucket <bucket>", "bucket")
      .requiredOption("--key <key>", "object key")
      .option("--version-id <id>", "one version of the key (a noncurrent one too); without it, the current version")
      .requiredOption("--reason <text>", "why (recorded)")
      .action(
        act(async (ctx, o) => {
          const body = { customer_id: o.customer, bucket: o.bucket, key: o.key, ...(o.versionId === undefined ? {} : { version_id: o.versionId }), reason: o.reason };
          const r = await call<{ version_id: string }>(await ctx.settings.region(), method, "/api/holds", { body });
          ctx.emit(r, () => `hold ${verb} on ${String(o.bucket)}/${String(o.key)} version ${r.version_id}`);
        }),
      );
  }
  holds
    .command("list")
    .description("held and retained objects")
    .option("--customer <id>", "only this customer's")
    .option("--bucket <bucket>", "only this bucket's")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: Hold[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/holds", {
          query: { customer_id: o.customer as string, bucket: o.bucket as string, limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["customer", (h) => h.customer_id],
            ["bucket", (h) => h.bucket],
            ["key", (h) => h.key],
            ["version", (h) => h.version_id],
            ["legal hold", (h) => (h.legal_hold ? "yes" : "no")],
            ["reason", (h) => h.reason],
            ["set by", (h) => h.set_by],
            ["retention", (h) => h.retention_mode],
            ["until", (h) => h.retention_until],
          ], page.next_cursor),
        );
      }),
    );
}
