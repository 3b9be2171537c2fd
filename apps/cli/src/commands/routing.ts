// Routing on the global router: which region is a customer's home (the only customer data it holds).
import type { Command } from "commander";
import { act, record } from "../context.ts";
import { call, seg } from "../http.ts";

export function routingCommands(program: Command): void {
  const routing = program.command("routing").description("customer → home-region assignments on the global router");

  routing
    .command("get")
    .description("show a customer's home region (GET /routing/customers/:id)")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, customer: string) => {
        const r = await call<Record<string, unknown>>(ctx.settings.global, "GET", `/routing/customers/${seg(customer)}`);
        ctx.emit(r, () => record(r, ["customer_id", "primary_region", "regional_endpoint", "available_regions", "note"]));
      }),
    );

  routing
    .command("register")
    .description("assign a customer to its home region (POST /routing/customers/:id); 409 if already routed")
    .argument("<customer>", "customer id")
    .argument("<region>", "home region id, e.g. FI-HEL")
    .option("--notes <text>", "routing notes (at most 200 characters)")
    .action(
      act(async (ctx, o, customer: string, region: string) => {
        const r = await call<Record<string, unknown>>(ctx.settings.global, "POST", `/routing/customers/${seg(customer)}`, {
          query: { region_id: region },
          ...(o.notes ? { body: { routing_notes: o.notes } } : {}),
        });
        ctx.emit(r, () => `routed ${customer} to ${region}\n${record(r)}`);
      }),
    );
}
