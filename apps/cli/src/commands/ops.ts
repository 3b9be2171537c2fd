// Operator views and one-off actions: the ops dashboards, upload/download URLs, crypto-shredding
// and re-encrypting access-key secrets under the active master key.
import type { Command } from "commander";
import { act, intOption, record } from "../context.ts";
import { call, callRaw, seg } from "../http.ts";

export function opsCommands(program: Command): void {
  program
    .command("dashboard")
    .description("the ops dashboard of the regional gateway, or of the global router with --global (text; --json for data)")
    .option("--global", "the global router's dashboard")
    .action(
      act(async (ctx, o) => {
        const ep = o.global ? ctx.settings.global : await ctx.settings.region();
        const res = await callRaw(ep, "GET", "/ops/dashboard", { query: { format: ctx.json ? "json" : "text" } });
        const text = await res.text();
        process.stdout.write(ctx.json ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : text.endsWith("\n") ? text : `${text}\n`);
      }),
    );

  program
    .command("presign")
    .description("a time-limited GET or PUT URL on the global endpoint, signed with one of the customer's access keys")
    .requiredOption("--customer <id>", "customer id")
    .requiredOption("--bucket <bucket>", "bucket")
    .requiredOption("--key <key>", "object key")
    .option("--method <method>", "GET or PUT (PUT: admin only)", "GET")
    .option("--expires-in <s>", "seconds (default 300)", intOption(1, 604_800))
    .action(
      act(async (ctx, o) => {
        const body = { customer_id: o.customer, bucket: o.bucket, key: o.key, method: String(o.method).toUpperCase(), ...(o.expiresIn ? { expires_in: o.expiresIn } : {}) };
        const r = await call<{ url: string } & Record<string, unknown>>(await ctx.settings.region(), "POST", "/api/presign", { body });
        ctx.emit(r, () => r.url);
      }),
    );

  const shred = program.command("crypto-shred").description("destroy a customer's keys so every copy of its data becomes unreadable (admin)");
  shred
    .command("schedule")
    .description("schedule crypto-shredding of a customer")
    .argument("<customer>", "customer id")
    .requiredOption("--reason <text>", "why (recorded)")
    .action(
      act(async (ctx, o, customer: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", `/api/customers/${seg(customer)}/crypto-shred`, { body: { reason: o.reason } });
        ctx.emit(r, () => record(r));
      }),
    );
  for (const [name, method, what] of [["get", "GET", "the customer's crypto-shred request"], ["cancel", "DELETE", "cancel a scheduled crypto-shred"]] as const) {
    shred
      .command(name)
      .description(what)
      .argument("<customer>", "customer id")
      .action(
        act(async (ctx, _o, customer: string) => {
          const r = await call<Record<string, unknown> | null>(await ctx.settings.region(), method, `/api/customers/${seg(customer)}/crypto-shred`);
          ctx.emit(r ?? { customer_id: customer, cancelled: true }, () => (r ? record(r) : `crypto-shred of ${customer} cancelled`));
        }),
      );
  }

  program
    .command("rotate-master-key")
    .description("re-encrypt every access-key secret of the region under the active master key id (admin)")
    .action(
      act(async (ctx) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", "/api/access-keys/rotate-master-key");
        ctx.emit(r, () => record(r));
      }),
    );
}
