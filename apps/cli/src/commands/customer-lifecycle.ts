// A customer's lifecycle in its home region: profile changes, suspension, offboarding, moving to another region.
import type { Command } from "commander";
import { act, collect, record } from "../context.ts";
import { call, seg, UsageError } from "../http.ts";

export function customerLifecycleCommands(customers: Command): void {
  customers
    .command("update")
    .description("change profile fields (PATCH /api/customers/:id; the audit row names the changed fields)")
    .argument("<customer>", "customer id")
    .option("--name <name>", "customer name")
    .option("--country <country>", "country")
    .option("--contact-email <email>", "primary contact e-mail")
    .option("--officer-email <email>", "compliance officer e-mail")
    .option("--requirement <name>", "the full list of compliance requirements (repeatable)", collect)
    .option("--legal-basis <text>", "legal basis")
    .option("--no-legal-basis", "clear the legal basis")
    .action(
      act(async (ctx, o, id: string) => {
        const body = {
          ...(o.name !== undefined ? { customer_name: o.name } : {}),
          ...(o.country !== undefined ? { country: o.country } : {}),
          ...(o.contactEmail !== undefined ? { primary_contact_email: o.contactEmail } : {}),
          ...(o.officerEmail !== undefined ? { compliance_officer_email: o.officerEmail } : {}),
          ...(o.requirement !== undefined ? { compliance_requirements: o.requirement } : {}),
          ...(typeof o.legalBasis === "string" ? { legal_basis: o.legalBasis } : o.legalBasis === false ? { legal_basis: null } : {}),
        };
        if (Object.keys(body).length === 0) throw new UsageError("name at least one field to change (see --help)");
        const r = await call<Record<string, unknown> & { changed_fields: string[] }>(await ctx.settings.region(), "PATCH", `/api/customers/${seg(id)}`, { body });
        ctx.emit(r, () => `changed: ${r.changed_fields.join(", ") || "nothing"}\n${record(r)}`);
      }),
    );

  customers
    .command("suspend")
    .description("suspend a customer: S3 writes are refused, reads as --reads says")
    .argument("<customer>", "customer id")
    .requiredOption("--reason <text>", "why (recorded)")
    .option("--reads <reads>", "allowed or refused", "allowed")
    .action(
      act(async (ctx, o, id: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", `/api/customers/${seg(id)}/suspend`, { body: { reason: o.reason, reads: o.reads } });
        ctx.emit(r, () => record(r));
      }),
    );

  customers
    .command("resume")
    .description("resume a suspended customer")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, id: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", `/api/customers/${seg(id)}/resume`);
        ctx.emit(r, () => record(r));
      }),
    );

  customers
    .command("offboard")
    .description("offboard a customer (freeze, optional export, erase all but what holds protect, unroute, tombstone); run again to resume")
    .argument("<customer>", "customer id")
    .requiredOption("--reason <text>", "why (recorded)")
    .option("--export", "export the customer's metadata manifest first")
    .action(
      act(async (ctx, o, id: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", `/api/customers/${seg(id)}/offboard`, { body: { reason: o.reason, export: Boolean(o.export) } });
        ctx.emit(r, () => record(r));
      }),
    );

  customers
    .command("offboarding")
    .description("where a customer's offboarding job is")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, id: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "GET", `/api/customers/${seg(id)}/offboard`);
        ctx.emit(r, () => record(r));
      }),
    );

  customers
    .command("move")
    .description("move a customer to another region satisfying its residency requirement (copy, verify, fence writes, switch the routing, erase here); run again to resume")
    .argument("<customer>", "customer id")
    .requiredOption("--to <region>", "the target region, e.g. DE-FRA")
    .action(
      act(async (ctx, o, id: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", `/api/customers/${seg(id)}/move`, { body: { to_region: o.to } });
        ctx.emit(r, () => record(r));
      }),
    );

  customers
    .command("move-status")
    .description("where a customer's move is (step, versions copied, last error)")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, id: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "GET", `/api/customers/${seg(id)}/move`);
        ctx.emit(r, () => record(r));
      }),
    );
}
