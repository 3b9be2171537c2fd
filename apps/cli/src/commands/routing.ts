// Routing on the global router: which region is a customer's home (the only customer data it holds).
import type { Command } from "commander";
import { act, intOption, record, table } from "../context.ts";
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

  routing
    .command("list")
    .description("the routing map, by customer id (GET /routing/customers)")
    .option("--home <region>", "only customers homed in this region")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: { customer_id: string; primary_region: string; created_at: string }[]; next_cursor: string | null }>(ctx.settings.global, "GET", "/routing/customers", {
          query: { region: o.home as string, limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () => table(page.items, [["customer", (r) => r.customer_id], ["home region", (r) => r.primary_region], ["routed at", (r) => r.created_at]], page.next_cursor));
      }),
    );

  routing
    .command("unroute")
    .description("remove a customer's routing (DELETE /routing/customers/:id); to offboard a customer use `customers offboard`")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, customer: string) => {
        const r = await call<Record<string, unknown>>(ctx.settings.global, "DELETE", `/routing/customers/${seg(customer)}`);
        ctx.emit(r, () => `unrouted ${customer}\n${record(r)}`);
      }),
    );
}
