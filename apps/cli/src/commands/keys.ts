// A customer's encryption keys (KEKs): answers never carry key material.
import type { Command } from "commander";
import { act, intOption, record, table } from "../context.ts";
import { call, seg } from "../http.ts";

interface Key {
  key_id: string;
  description: string | null;
  is_default: boolean;
  state: string;
  current_version: number;
  deletion_date: string | null;
  created_at: string;
}

export function keyCommands(program: Command): void {
  const keys = program.command("keys").description("a customer's encryption keys (regional gateway)");
  const path = (customer: string, rest = "") => `/api/customers/${seg(customer)}/keys${rest}`;
  const show = (k: Key) => record(k, ["key_id", "state", "current_version", "is_default", "deletion_date", "description"]);

  keys
    .command("list")
    .description("list the customer's keys")
    .argument("<customer>", "customer id")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o, customer: string) => {
        const page = await call<{ items: Key[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", path(customer), { query: { limit: o.limit as number, cursor: o.cursor as string } });
        ctx.emit(page, () =>
          table(page.items, [
            ["key id", (k) => k.key_id],
            ["state", (k) => k.state],
            ["version", (k) => k.current_version],
            ["default", (k) => (k.is_default ? "yes" : "")],
            ["deletion", (k) => k.deletion_date],
            ["description", (k) => k.description],
          ], page.next_cursor),
        );
      }),
    );

  keys
    .command("create")
    .description("create a key")
    .argument("<customer>", "customer id")
    .option("--description <text>", "what the key is for")
    .action(
      act(async (ctx, o, customer: string) => {
        const k = await call<Key>(await ctx.settings.region(), "POST", path(customer), { body: o.description ? { description: o.description } : {} });
        ctx.emit(k, () => show(k));
      }),
    );

  keys
    .command("get")
    .description("one key")
    .argument("<customer>", "customer id")
    .argument("<key-id>", "key id")
    .action(
      act(async (ctx, _o, customer: string, keyId: string) => {
        const k = await call<Key>(await ctx.settings.region(), "GET", path(customer, `/${seg(keyId)}`));
        ctx.emit(k, () => show(k));
      }),
    );

  for (const [name, what] of [
    ["rotate", "a new key version for new writes"],
    ["disable", "refuse reads and writes under this key"],
    ["enable", "enable a disabled key"],
    ["cancel-deletion", "cancel a scheduled deletion"],
  ] as const) {
    keys
      .command(name)
      .description(what)
      .argument("<customer>", "customer id")
      .argument("<key-id>", "key id")
      .action(
        act(async (ctx, _o, customer: string, keyId: string) => {
          const k = await call<Key>(await ctx.settings.region(), "POST", path(customer, `/${seg(keyId)}/${name}`));
          ctx.emit(k, () => show(k));
        }),
      );
  }

  keys
    .command("schedule-deletion")
    .description("schedule the key's deletion (crypto-shreds what it protects when it happens)")
    .argument("<customer>", "customer id")
    .argument("<key-id>", "key id")
    .option("--days <n>", "pending window in days (7-30, default 30)", intOption(7, 30))
    .action(
      act(async (ctx, o, customer: string, keyId: string) => {
        const k = await call<Key>(await ctx.settings.region(), "POST", path(customer, `/${seg(keyId)}/schedule-deletion`), { body: o.days ? { pending_days: o.days } : {} });
        ctx.emit(k, () => show(k));
      }),
    );
}
