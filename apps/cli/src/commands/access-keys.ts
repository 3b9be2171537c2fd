// A customer's S3 access keys: the secret is printed once, at creation; lists never carry it.
import type { Command } from "commander";
import { act, collect, intOption, record, table } from "../context.ts";
import { call, seg } from "../http.ts";

interface AccessKey {
  access_key_id: string;
  description: string | null;
  permission: string;
  allowed_buckets: string[] | null;
  bypass_governance: boolean;
  status: string;
  created_at: string;
}

export function accessKeyCommands(program: Command): void {
  const keys = program.command("access-keys").description("a customer's S3 access keys (regional gateway)");

  keys
    .command("create")
    .description("create an access key; its secret is shown only now")
    .argument("<customer>", "customer id")
    .option("--description <text>", "what the key is for")
    .option("--permission <p>", "read-only or read-write")
    .option("--bucket <name>", "limit the key to a bucket (repeatable)", collect, [])
    .option("--bypass-governance", "may shorten or bypass GOVERNANCE retention (admin, read-write keys)")
    .action(
      act(async (ctx, o, customer: string) => {
        const buckets = o.bucket as string[];
        const body = {
          ...(o.description ? { description: o.description } : {}),
          ...(o.permission ? { permission: o.permission } : {}),
          ...(buckets.length ? { allowed_buckets: buckets } : {}),
          ...(o.bypassGovernance ? { bypass_governance: true } : {}),
        };
        const k = await call<AccessKey & { secret_access_key: string }>(await ctx.settings.region(), "POST", `/api/customers/${seg(customer)}/access-keys`, { body });
        ctx.emit(k, () => `${record(k, ["access_key_id", "secret_access_key", "permission", "allowed_buckets", "status"])}\nThe secret is shown only this once: store it now.`);
      }),
    );

  keys
    .command("list")
    .description("list a customer's access keys (never their secrets)")
    .argument("<customer>", "customer id")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o, customer: string) => {
        const page = await call<{ items: AccessKey[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", `/api/customers/${seg(customer)}/access-keys`, {
          query: { limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["access key id", (k) => k.access_key_id],
            ["status", (k) => k.status],
            ["permission", (k) => k.permission],
            ["buckets", (k) => k.allowed_buckets ?? "all"],
            ["created", (k) => k.created_at],
            ["description", (k) => k.description],
          ], page.next_cursor),
        );
      }),
    );

  for (const [name, status] of [["disable", "disabled"], ["enable", "active"]] as const) {
    keys
      .command(name)
      .description(`${name} an access key (PATCH status ${status})`)
      .argument("<customer>", "customer id")
      .argument("<access-key-id>", "access key id")
      .action(
        act(async (ctx, _o, customer: string, akid: string) => {
          const k = await call<AccessKey>(await ctx.settings.region(), "PATCH", `/api/customers/${seg(customer)}/access-keys/${seg(akid)}`, { body: { status } });
          ctx.emit(k, () => `${akid}: ${k.status}`);
        }),
      );
  }

  keys
    .command("revoke")
    .description("delete an access key (also unregisters it at the global router)")
    .argument("<customer>", "customer id")
    .argument("<access-key-id>", "access key id")
    .action(
      act(async (ctx, _o, customer: string, akid: string) => {
        await call(await ctx.settings.region(), "DELETE", `/api/customers/${seg(customer)}/access-keys/${seg(akid)}`);
        ctx.emit({ access_key_id: akid, deleted: true }, () => `deleted ${akid}`);
      }),
    );
}
