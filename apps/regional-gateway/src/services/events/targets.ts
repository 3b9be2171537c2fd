import { randomBytes } from "node:crypto";
import { apiError, eventTargetArn, TARGET_ID_RE } from "@s3gw/core";
import { notificationTargets, type NatsTargetConfig, type WebhookTargetConfig } from "@s3gw/schema-regional";
import { and, asc, eq, gt, inArray, isNull, or } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import type { CreateTargetInput } from "./target-input.ts";
import { sealTargetSecret, targetKeyRing } from "./target-secrets.ts";

type Row = typeof notificationTargets.$inferSelect;
export type TargetDeps = Pick<Deps, "db" | "config" | "clock">;

export const newTargetId = (): string => `tgt_${randomBytes(12).toString("hex")}`;
export const targetsCursor = z.strictObject({ t: z.iso.datetime(), id: z.string().regex(TARGET_ID_RE) });

/** What clients see of a target: never its secret or credentials, only whether it has them. */
export function targetView(r: Row, regionId: string) {
  const destination =
    r.kind === "webhook"
      ? { webhook: { url: (r.config as WebhookTargetConfig).url, timeout_ms: r.config.timeoutMs } }
      : (() => {
          const c = r.config as NatsTargetConfig;
          return { nats: { servers: c.servers, stream: c.stream, subject: c.subject, timeout_ms: c.timeoutMs, has_credentials: r.sealedSecret !== null } };
        })();
  return {
    target_id: r.targetId,
    arn: eventTargetArn(regionId, r.targetId),
    name: r.name,
    kind: r.kind,
    country: r.country,
    compliance_events: r.complianceEvents,
    ...destination,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    deleted_at: r.deletedAt?.toISOString() ?? null,
  };
}
export type TargetView = ReturnType<typeof targetView>;

const notFound = (targetId: string) => apiError.notFound(`no notification target ${targetId}`);

/**
 * Registers a target. A webhook's signing secret, when not given, is generated and answered
 * once (as `secret`); either way only its sealed form is stored, bound to the target id.
 */
export async function createTarget({ ctx, input }: { ctx: TargetDeps; input: CreateTargetInput & { createdBy: string } }): Promise<TargetView & { secret?: string }> {
  const ring = targetKeyRing(ctx.config);
  const targetId = newTargetId();
  let config: WebhookTargetConfig | NatsTargetConfig;
  let secret: string | null;
  let generated: string | undefined;
  if (input.kind === "webhook") {
    config = { url: input.webhook.url, timeoutMs: input.webhook.timeout_ms };
    generated = input.webhook.secret === undefined ? randomBytes(32).toString("hex") : undefined;
    secret = input.webhook.secret ?? generated!;
  } else {
    const n = input.nats;
    config = { servers: n.servers, stream: n.stream, subject: n.subject, timeoutMs: n.timeout_ms };
    secret = n.credentials ? JSON.stringify(n.credentials) : null;
  }
  const [row] = await ctx.db
    .insert(notificationTargets)
    .values({
      targetId,
      name: input.name,
      kind: input.kind,
      country: input.country,
      config,
      sealedSecret: secret === null ? null : sealTargetSecret(ring, targetId, secret),
      complianceEvents: input.compliance_events,
      createdBy: input.createdBy,
      createdAt: ctx.clock.now(),
    })
    .onConflictDoNothing({ target: notificationTargets.name })
    .returning();
  if (!row) throw apiError.conflict(`a notification target named ${input.name} exists (deleted targets keep their names)`);
  const view = targetView(row, ctx.config.region.region_id);
  return generated === undefined ? view : { ...view, secret: generated };
}

export async function listTargets({ ctx, input }: { ctx: TargetDeps; input: { limit: number; includeDeleted: boolean; after?: { t: string; id: string } | undefined } }) {
  const t = notificationTargets;
  const after = input.after ? or(gt(t.createdAt, new Date(input.after.t)), and(eq(t.createdAt, new Date(input.after.t)), gt(t.targetId, input.after.id))) : undefined;
  const rows = await ctx.db
    .select()
    .from(t)
    .where(and(input.includeDeleted ? undefined : isNull(t.deletedAt), after))
    .orderBy(asc(t.createdAt), asc(t.targetId))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => targetView(r, ctx.config.region.region_id)),
    next: rows.length > input.limit && last ? { t: last.createdAt.toISOString(), id: last.targetId } : undefined,
  };
}

export async function findTargetRow(ctx: Pick<Deps, "db">, targetId: string): Promise<Row> {
  if (!TARGET_ID_RE.test(targetId)) throw notFound(targetId);
  const [row] = await ctx.db.select().from(notificationTargets).where(eq(notificationTargets.targetId, targetId)).limit(1);
  if (!row) throw notFound(targetId);
  return row;
}

export async function getTarget({ ctx, input }: { ctx: TargetDeps; input: { targetId: string } }): Promise<TargetView> {
  return targetView(await findTargetRow(ctx, input.targetId), ctx.config.region.region_id);
}

/** The live (not deleted) targets among `ids`, by id. */
export async function findLiveTargets(ctx: Pick<Deps, "db">, ids: string[]): Promise<Map<string, Row>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.db
    .select()
    .from(notificationTargets)
    .where(and(inArray(notificationTargets.targetId, ids), isNull(notificationTargets.deletedAt)));
  return new Map(rows.map((r) => [r.targetId, r]));
}
