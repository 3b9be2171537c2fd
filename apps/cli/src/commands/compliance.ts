// Compliance views of a region: the summary, open alerts (and resolving them), residency
// validation, integrity verification of stored bytes, and compliance event subscriptions.
import type { Command } from "commander";
import { act, intOption, record, table } from "../context.ts";
import { call, seg } from "../http.ts";
import { subscriptionCommands } from "./compliance-subscriptions.ts";

interface Alert {
  event_id: string;
  customer_id: string | null;
  event_type: string;
  severity: string;
  overdue: boolean;
  description: string;
}

export function complianceCommands(program: Command): void {
  const compliance = program.command("compliance").description("compliance summary, alerts, residency and integrity checks, event subscriptions (regional gateway)");
  subscriptionCommands(compliance);

  compliance
    .command("summary")
    .description("a customer's compliance summary")
    .argument("<customer>", "customer id")
    .action(
      act(async (ctx, _o, customer: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "GET", "/api/compliance/summary", { headers: { "x-customer-id": customer } });
        ctx.emit(r, () => record(r));
      }),
    );

  compliance
    .command("alerts")
    .description("open compliance events, newest first")
    .option("--customer <id>", "only this customer's")
    .option("--severity <s>", "low, medium, high or critical")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: Alert[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/compliance/alerts", {
          query: { customer_id: o.customer as string, severity: o.severity as string, limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["event id", (e) => e.event_id],
            ["customer", (e) => e.customer_id],
            ["type", (e) => e.event_type],
            ["severity", (e) => e.severity],
            ["overdue", (e) => (e.overdue ? "yes" : "")],
            ["description", (e) => e.description],
          ], page.next_cursor),
        );
      }),
    );

  compliance
    .command("resolve")
    .description("resolve a compliance event with a note")
    .argument("<event-id>", "event id (UUID)")
    .requiredOption("--note <text>", "resolution note (1-2000 characters)")
    .action(
      act(async (ctx, o, id: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", `/api/compliance/events/${seg(id)}/resolve`, { body: { resolution_note: o.note } });
        ctx.emit(r, () => record(r));
      }),
    );

  compliance
    .command("validate-residency")
    .description("check every object against its customer's residency requirement (violations raise events)")
    .option("--customer <id>", "only this customer's objects")
    .action(
      act(async (ctx, o) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "GET", "/api/compliance/validate/data-residency", { query: { customer_id: o.customer as string }, timeoutMs: 600_000 });
        ctx.emit(r, () => record(r));
      }),
    );

  compliance
    .command("verify-objects")
    .description("re-hash stored bytes of a customer, a bucket or one object against their SHA-256")
    .requiredOption("--customer <id>", "customer id")
    .option("--bucket <bucket>", "only this bucket")
    .option("--key <key>", "only this object (with --bucket)")
    .action(
      act(async (ctx, o) => {
        const body = { customer_id: o.customer, ...(o.bucket ? { bucket: o.bucket } : {}), ...(o.key ? { key: o.key } : {}) };
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", "/api/objects/verify", { body, timeoutMs: 600_000 });
        ctx.emit(r, () => record(r));
      }),
    );
}
