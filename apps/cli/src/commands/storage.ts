// A customer's storage settings: its own S3 bucket as the target of new writes. Request bodies
// (which carry the bucket's credentials) come from a file, never from the command line.
import type { Command } from "commander";
import { act, readJsonFile, record } from "../context.ts";
import { call, seg } from "../http.ts";

export function storageCommands(program: Command): void {
  const storage = program.command("storage").description("a customer's storage settings (regional gateway)");
  const path = (customer: string, rest = "") => `/api/customers/${seg(customer)}/storage${rest}`;

  storage
    .command("get")
    .description("the customer's storage target and its health (no credentials)")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, customer: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "GET", path(customer));
        ctx.emit(r, () => record(r));
      }),
    );

  for (const [name, method, suffix, what] of [
    ["put", "PUT", "", "configure the customer's bucket from a JSON file (provider_label, endpoint, bucket, region, credentials, …)"],
    ["rotate", "POST", "/rotate", "replace the bucket's credentials from a JSON file (access_key_id, secret_access_key, …)"],
  ] as const) {
    storage
      .command(name)
      .description(what)
      .argument("<customer>", "customer id")
      .requiredOption("--file <path>", "JSON body (- for standard input)")
      .action(
        act(async (ctx, o, customer: string) => {
          const body = await readJsonFile(o.file as string);
          const r = await call<Record<string, unknown>>(await ctx.settings.region(), method, path(customer, suffix), { body });
          ctx.emit(r, () => record(r));
        }),
      );
  }

  storage
    .command("validate")
    .description("probe the customer's bucket now")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, customer: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", path(customer, "/validate"));
        ctx.emit(r, () => record(r));
      }),
    );

  storage
    .command("disable")
    .description("stop writing to the customer's bucket (DELETE …/storage)")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, customer: string) => {
        await call(await ctx.settings.region(), "DELETE", path(customer));
        ctx.emit({ customer_id: customer, disabled: true }, () => `customer storage of ${customer} disabled`);
      }),
    );
}
