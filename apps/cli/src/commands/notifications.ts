// Event notification targets (webhook and NATS JetStream) and their deliveries. A webhook's
// signing secret is shown once, at creation; secrets the operator supplies (a webhook secret,
// NATS credentials) are read from a file or standard input, never from a flag.
import type { Command } from "commander";
import { act, collect, type Ctx, intOption, readJsonFile, readTextFile, record, table } from "../context.ts";
import { call, seg, UsageError } from "../http.ts";

interface Target {
  target_id: string;
  name: string;
  kind: "webhook" | "nats";
  country: string;
  compliance_events: string[];
  webhook?: { url: string; timeout_ms: number };
  nats?: { servers: string[]; stream: string; subject: string; timeout_ms: number; has_credentials: boolean };
  created_at: string;
  deleted_at: string | null;
}

interface Delivery {
  delivery_id: string;
  event_name: string;
  target_id: string;
  customer_id: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
}

const destination = (t: Target) => (t.webhook ? t.webhook.url : `${t.nats!.servers.join(",")} ${t.nats!.stream}/${t.nats!.subject}`);
const shown = ["target_id", "arn", "name", "kind", "country", "compliance_events", "webhook", "nats", "created_at", "deleted_at"];

/** The first line of a file (or standard input for "-"), for a secret. */
async function readSecret(path: string): Promise<string> {
  const secret = (await readTextFile(path)).split(/\r?\n/)[0]!;
  if (!secret) throw new UsageError(`${path} holds no secret on its first line`);
  return secret;
}

function targetCommands(program: Command): void {
  const targets = program.command("notification-targets").description("where bucket and compliance events are delivered: webhooks and NATS JetStream (regional gateway)");
  const common = (c: Command) =>
    c
      .requiredOption("--name <name>", "a unique name")
      .requiredOption("--country <country>", "where the target receives data (ISO code or name): residency rules apply to what it may get")
      .option("--compliance-event <pattern>", "a compliance event kind or family it also receives region-wide (repeatable)", collect, [])
      .option("--timeout-ms <n>", "delivery timeout (100-60000)", intOption(100, 60_000));
  const create = async (ctx: Ctx, body: Record<string, unknown>) => {
    const t = await call<Target & { secret?: string }>(await ctx.settings.region(), "POST", "/api/notification-targets", { body });
    ctx.emit(t, () => `${record(t, [...shown.filter((k) => k in t), ...(t.secret ? ["secret"] : [])])}${t.secret ? "\nThe signing secret is shown only this once: store it now." : ""}`);
  };
  const commonBody = (o: Record<string, unknown>) => ({ name: o.name, country: o.country, ...((o.complianceEvent as string[]).length ? { compliance_events: o.complianceEvent } : {}) });

  common(targets.command("create-webhook").description("register a webhook target (admin); its signing secret is generated and shown once unless given"))
    .requiredOption("--url <url>", "http(s) URL the events are POSTed to")
    .option("--secret-file <path>", "the signing secret (16-256 characters) on the first line of a file, or - for standard input")
    .action(
      act(async (ctx, o) => {
        const secret = o.secretFile ? await readSecret(o.secretFile as string) : undefined;
        await create(ctx, { ...commonBody(o), kind: "webhook", webhook: { url: o.url, ...(o.timeoutMs ? { timeout_ms: o.timeoutMs } : {}), ...(secret ? { secret } : {}) } });
      }),
    );

  common(targets.command("create-nats").description("register a NATS JetStream target (admin)"))
    .requiredOption("--server <host:port>", "a NATS server, nats://host:port or host:port (repeatable)", collect, [])
    .requiredOption("--stream <name>", "the JetStream stream")
    .requiredOption("--subject <subject>", "the subject events are published on")
    .option("--credentials-file <path>", 'credentials as JSON, {"user","pass"} or {"token"}, from a file or - for standard input')
    .action(
      act(async (ctx, o) => {
        const credentials = o.credentialsFile ? await readJsonFile(o.credentialsFile as string) : undefined;
        const nats = { servers: o.server, stream: o.stream, subject: o.subject, ...(o.timeoutMs ? { timeout_ms: o.timeoutMs } : {}), ...(credentials ? { credentials } : {}) };
        await create(ctx, { ...commonBody(o), kind: "nats", nats });
      }),
    );

  targets
    .command("list")
    .description("list targets (never their secrets)")
    .option("--include-deleted", "deleted targets too")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: Target[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/notification-targets", {
          query: { include_deleted: o.includeDeleted ? "true" : undefined, limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["target id", (t) => t.target_id],
            ["name", (t) => t.name],
            ["kind", (t) => t.kind],
            ["country", (t) => t.country],
            ["destination", destination],
            ["deleted", (t) => t.deleted_at],
          ], page.next_cursor),
        );
      }),
    );

  targets
    .command("get")
    .description("one target")
    .argument("<target-id>", "target id (tgt_…)")
    .action(
      act(async (ctx, _o, id: string) => {
        const t = await call<Target>(await ctx.settings.region(), "GET", `/api/notification-targets/${seg(id)}`);
        ctx.emit(t, () => record(t, shown.filter((k) => k in t)));
      }),
    );

  targets
    .command("delete")
    .description("delete a target (admin); refused while bucket notification configurations name it, unless --force")
    .argument("<target-id>", "target id (tgt_…)")
    .option("--force", "delete although buckets name it (their events to it stop)")
    .action(
      act(async (ctx, o, id: string) => {
        const r = await call<{ target: Target; still_named_by: { customer_id: string; bucket: string }[] }>(await ctx.settings.region(), "DELETE", `/api/notification-targets/${seg(id)}`, {
          query: { force: o.force ? "true" : undefined },
        });
        const named = r.still_named_by.map((b) => `${b.customer_id}/${b.bucket}`);
        ctx.emit(r, () => `deleted ${r.target.target_id} (${r.target.name})${named.length ? `\nstill named by: ${named.join(", ")}` : ""}`);
      }),
    );
}

function deliveryCommands(program: Command): void {
  const deliveries = program.command("deliveries").description("event deliveries to notification targets: list them, replay dead ones (regional gateway)");
  deliveries
    .command("list")
    .description("deliveries, newest first")
    .option("--status <s>", "pending, delivered, dead or refused")
    .option("--target <id>", "only this target's")
    .option("--customer <id>", "only this customer's")
    .option("--event <name>", "only this event name (e.g. s3:ObjectCreated:Put)")
    .option("--since <time>", "created at or after (ISO 8601 with offset)")
    .option("--limit <n>", "page size (1-500)", intOption(1, 500))
    .option("--cursor <cursor>", "the next page")
    .action(
      act(async (ctx, o) => {
        const page = await call<{ items: Delivery[]; next_cursor: string | null }>(await ctx.settings.region(), "GET", "/api/notification-deliveries", {
          query: { status: o.status as string, target_id: o.target as string, customer_id: o.customer as string, event_name: o.event as string, since: o.since as string, limit: o.limit as number, cursor: o.cursor as string },
        });
        ctx.emit(page, () =>
          table(page.items, [
            ["delivery id", (d) => d.delivery_id],
            ["status", (d) => d.status],
            ["attempts", (d) => d.attempts],
            ["event", (d) => d.event_name],
            ["target", (d) => d.target_id],
            ["customer", (d) => d.customer_id],
            ["created", (d) => d.created_at],
            ["last error", (d) => d.last_error],
          ], page.next_cursor),
        );
      }),
    );

  deliveries
    .command("replay")
    .description("send dead deliveries again (admin): the named ones, a target's, or (neither given) every dead one")
    .option("--delivery <id>", "a dead delivery (UUID, repeatable)", collect, [])
    .option("--target <id>", "every dead delivery of this target")
    .action(
      act(async (ctx, o) => {
        const ids = o.delivery as string[];
        const body = { ...(ids.length ? { delivery_ids: ids } : {}), ...(o.target ? { target_id: o.target } : {}) };
        const r = await call<{ replayed: number }>(await ctx.settings.region(), "POST", "/api/notification-deliveries/replay", { body });
        ctx.emit(r, () => `replayed ${r.replayed} dead deliver${r.replayed === 1 ? "y" : "ies"}`);
      }),
    );
}

export function notificationCommands(program: Command): void {
  targetCommands(program);
  deliveryCommands(program);
}
