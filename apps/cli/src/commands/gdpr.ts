// GDPR data-subject requests: received, listed, executed, tracked and exported in the home region.
import type { Command } from "commander";
import { act, intOption, record, saveBody, table } from "../context.ts";
import { call, callRaw, seg } from "../http.ts";

interface Dsr {
  request_id: string;
  customer_id: string;
  data_subject_id: string;
  request_type: string;
  status: string;
  response_deadline: string;
  deadline_state: string;
}

const show = (r: Record<string, unknown>) => record(r);

export function gdprCommands(program: Command): void {
  const gdpr = program.command("gdpr").description("GDPR data-subject requests (regional gateway)");

  gdpr
    .command("create")
    .description("record a data-subject request")
    .requiredOption("--customer <id>", "customer id")
    .requiredOption("--subject <id>", "the data subject's id (x-amz-meta-data-subject-id)")
    .requiredOption("--type <type>", "access, erasure, rectification, restriction, portability or objection")
    .option("--notes <text>", "notes")
    .action(
      act(async (ctx, o) => {
        const body = { customer_id: o.customer, data_subject_id: o.subject, request_type: o.type, ...(o.notes ? { notes: o.notes } : {}) };
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", "/api/gdpr/requests", { body });
        ctx.emit(r, () => show(r));
      }),
    );

  gdpr
    .command("list")
    .description("list requests, with their deadline state")
    .option("--customer <id>", "customer id")
    .option("--status <status>", "pending, in_progress, completed, …")
    .option("--overdue", "only overdue requests")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: Dsr[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/gdpr/requests", {
          query: { customer_id: o.customer as string, status: o.status as string, overdue: o.overdue ? "true" : undefined, limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["request id", (r) => r.request_id],
            ["customer", (r) => r.customer_id],
            ["type", (r) => r.request_type],
            ["status", (r) => r.status],
            ["deadline", (r) => r.response_deadline],
            ["state", (r) => r.deadline_state],
          ], page.next_cursor),
        );
      }),
    );

  gdpr
    .command("get")
    .description("one request")
    .argument("<request-id>", "request id (UUID)")
    .action(
      act(async (ctx, _o, id: string) => {
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "GET", `/api/gdpr/requests/${seg(id)}`);
        ctx.emit(r, () => show(r));
      }),
    );

  for (const [name, what] of [["execute", "execute a request (erasure, restriction, access, portability)"], ["lift", "lift an executed restriction"]] as const) {
    gdpr
      .command(name)
      .description(what)
      .argument("<request-id>", "request id (UUID)")
      .action(
        act(async (ctx, _o, id: string) => {
          const r = await call<Record<string, unknown>>(await ctx.settings.region(), "POST", `/api/gdpr/requests/${seg(id)}/${name}`);
          ctx.emit(r, () => show(r));
        }),
      );
  }

  gdpr
    .command("update")
    .description("set a request's status and/or notes (rectification and objection are tracked this way)")
    .argument("<request-id>", "request id (UUID)")
    .option("--status <status>", "new status")
    .option("--notes <text>", "notes")
    .action(
      act(async (ctx, o, id: string) => {
        const body = { ...(o.status ? { status: o.status } : {}), ...(o.notes ? { notes: o.notes } : {}) };
        const r = await call<Record<string, unknown>>(await ctx.settings.region(), "PATCH", `/api/gdpr/requests/${seg(id)}`, { body });
        ctx.emit(r, () => show(r));
      }),
    );

  gdpr
    .command("export")
    .description("the subject's data of a completed access or portability request (dsr-<id>.json)")
    .argument("<request-id>", "request id (UUID)")
    .option("--out <file>", "write to this file (mode 0600) instead of standard output")
    .action(
      act(async (ctx, o, id: string) => {
        const res = await callRaw(await ctx.settings.region(), "GET", `/api/gdpr/requests/${seg(id)}/export`);
        const bytes = await saveBody(res, o.out as string | undefined);
        if (o.out) process.stderr.write(`wrote ${bytes} bytes to ${String(o.out)}\n`);
      }),
    );
}
