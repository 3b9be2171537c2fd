// Customers homed in a region: list, show, and create (route at the global router, then register in the region).
import type { Command } from "commander";
import { act, collect, intOption, record, table } from "../context.ts";
import { call, seg } from "../http.ts";
import { customerLifecycleCommands } from "./customer-lifecycle.ts";

interface CustomerItem {
  customer_id: string;
  customer_name: string;
  country: string;
  legal_zone: string;
  data_residency_requirement: string;
  status: string;
  bucket_count: number;
}

export function customerCommands(program: Command): void {
  const customers = program.command("customers").description("customers homed in a region (regional gateway)");

  customers
    .command("list")
    .description("list the region's customers (GET /api/customers)")
    .option("--residency <req>", "strict, jurisdiction or flexible")
    .option("--country <country>", "country code or name")
    .option("--q <text>", "id prefix or name substring")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page, from a previous answer")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: CustomerItem[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/customers", {
          query: { residency: o.residency as string, country: o.country as string, q: o.q as string, limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["id", (c) => c.customer_id],
            ["name", (c) => c.customer_name],
            ["country", (c) => c.country],
            ["zone", (c) => c.legal_zone],
            ["residency", (c) => c.data_residency_requirement],
            ["status", (c) => c.status],
            ["buckets", (c) => c.bucket_count],
          ], page.next_cursor),
        );
      }),
    );

  customers
    .command("get")
    .description("a customer's profile and usage (GET /api/customers/:id/info)")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, id: string) => {
        const c = await call<Record<string, unknown>>(await ctx.settings.region(), "GET", `/api/customers/${seg(id)}/info`);
        ctx.emit(c, () => record(c));
      }),
    );

  customers
    .command("create")
    .description("register a customer: with --home, route it at the global router first, then register it in that region")
    .argument("<customer>", "customer id (2-63 of a-z, 0-9, '-')")
    .requiredOption("--name <name>", "customer name")
    .requiredOption("--country <country>", "country")
    .requiredOption("--residency <req>", "strict, jurisdiction or flexible")
    .requiredOption("--contact-email <email>", "primary contact e-mail")
    .requiredOption("--officer-email <email>", "compliance officer e-mail")
    .option("--requirement <name>", "a compliance requirement (repeatable), e.g. GDPR", collect, [])
    .option("--legal-basis <text>", "legal basis")
    .option("--home <region>", "route the customer to this region at the global router, and register it there")
    .action(
      act(async (ctx, o, id: string) => {
        const home = o.home as string | undefined;
        if (home) await call(ctx.settings.global, "POST", `/routing/customers/${seg(id)}`, { query: { region_id: home } });
        const region = await ctx.settings.region(home);
        const body = {
          customer_name: o.name,
          country: o.country,
          data_residency_requirement: o.residency,
          compliance_requirements: o.requirement,
          primary_contact_email: o.contactEmail,
          compliance_officer_email: o.officerEmail,
          ...(o.legalBasis ? { legal_basis: o.legalBasis } : {}),
        };
        const r = await call<{ status: string; customer: Record<string, unknown> }>(region, "POST", `/api/customers/${seg(id)}/register`, { body });
        ctx.emit(r, () => `${r.status} ${id}${home ? ` (routed to ${home})` : ""}\n${record(r.customer)}`);
      }),
    );

  customerLifecycleCommands(customers);
}
