// Compliance event subscriptions: which notification target receives which compliance events,
// for one customer or region-wide.
import type { Command } from "commander";
import { act, collect, intOption, record, table } from "../context.ts";
import { call, seg, UsageError } from "../http.ts";

interface Subscription {
  subscription_id: string;
  target_id: string;
  target_live: boolean;
  customer_id: string | null;
  region_wide: boolean;
  events: string[];
  created_at: string;
}

export function subscriptionCommands(compliance: Command): void {
  const subs = compliance.command("subscriptions").description("compliance events delivered to notification targets");

  subs
    .command("create")
    .description("subscribe a target to compliance events of a customer, or region-wide (admin, compliance officer)")
    .requiredOption("--target <id>", "notification target id (tgt_…)")
    .requiredOption("--event <pattern>", "a compliance event kind or family, e.g. gdpr.* (repeatable)", collect, [])
    .option("--customer <id>", "this customer's events only")
    .option("--region-wide", "every customer's events (admin or a region-wide token)")
    .action(
      act(async (ctx, o) => {
        if (o.customer && o.regionWide) throw new UsageError("give --customer or --region-wide, not both");
        // Neither: the API takes the caller's own customer for a customer-scoped token, region-wide otherwise.
        const body = { target_id: o.target, events: o.event, ...(o.customer ? { customer_id: o.customer } : {}), ...(o.regionWide ? { customer_id: null } : {}) };
        const s = await call<Subscription>(await ctx.settings.region(), "POST", "/api/compliance/subscriptions", { body });
        ctx.emit(s, () => record(s));
      }),
    );

  subs
    .command("list")
    .description("list subscriptions, newest first")
    .option("--customer <id>", "only this customer's")
    .option("--target <id>", "only this target's")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: Subscription[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/compliance/subscriptions", {
          query: { customer_id: o.customer as string, target_id: o.target as string, limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["subscription id", (s) => s.subscription_id],
            ["target", (s) => `${s.target_id}${s.target_live ? "" : " (deleted)"}`],
            ["customer", (s) => (s.region_wide ? "(region-wide)" : s.customer_id)],
            ["events", (s) => s.events],
            ["created", (s) => s.created_at],
          ], page.next_cursor),
        );
      }),
    );

  subs
    .command("delete")
    .description("delete a subscription")
    .argument("<subscription-id>", "subscription id (UUID)")
    .action(
      act(async (ctx, _o, id: string) => {
        const s = await call<Subscription>(await ctx.settings.region(), "DELETE", `/api/compliance/subscriptions/${seg(id)}`);
        ctx.emit(s, () => `deleted subscription ${s.subscription_id}`);
      }),
    );
}
