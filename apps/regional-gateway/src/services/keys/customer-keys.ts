import { apiError, kmsKeyArn } from "@s3gw/core";
import { customerKeys, type CustomerKeyState } from "@s3gw/schema-regional";
import { and, asc, count, eq, gt, inArray, or } from "drizzle-orm";
import { z } from "zod";
import { findHomedCustomer } from "../access/customers.ts";
import { limitParam } from "../paging.ts";
import type { Deps } from "../../env.ts";
import { forgetCustomerKeys, insertKey, insertVersion, KEY_ID_RE, masterRing, type KeyCtx } from "./key-store.ts";

export const createKeySchema = z.strictObject({ description: z.string().trim().max(256).optional() });
/** AWS KMS's bounds for a deletion's waiting period. */
export const scheduleDeletionSchema = z.strictObject({ pending_days: z.number().int().min(7).max(30).default(30) });
export const listKeysQuery = z.strictObject({ limit: limitParam, cursor: z.string().max(500).optional() });
export const keysCursor = z.strictObject({ t: z.iso.datetime(), id: z.string().regex(KEY_ID_RE) });

type Row = typeof customerKeys.$inferSelect;
/** The key service's context: with the instance's cache, so its changes take effect here at once. */
export type KeyServiceCtx = KeyCtx & Pick<Deps, "cache">;
const forget = (ctx: KeyServiceCtx, customerId: string) => forgetCustomerKeys(ctx.cache, customerId);

/** What clients see of a key: never its material, sealed or not. */
export function keyView(r: Row, regionId: string) {
  return {
    key_id: r.keyId,
    arn: kmsKeyArn({ regionId, customerId: r.customerId }, r.keyId),
    customer_id: r.customerId,
    description: r.description,
    is_default: r.isDefault,
    state: r.state,
    current_version: r.currentVersion,
    deletion_date: r.deletionDate?.toISOString() ?? null,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}
export type KeyView = ReturnType<typeof keyView>;

const notFound = (customerId: string, keyId: string) => apiError.notFound(`customer ${customerId} has no key ${keyId}`);

async function findRow(ctx: KeyCtx, customerId: string, keyId: string): Promise<Row> {
  if (!KEY_ID_RE.test(keyId)) throw notFound(customerId, keyId);
  const [row] = await ctx.db.select().from(customerKeys).where(and(eq(customerKeys.customerId, customerId), eq(customerKeys.keyId, keyId))).limit(1);
  if (!row) throw notFound(customerId, keyId);
  return row;
}

export async function createCustomerKey({ ctx, input }: { ctx: KeyServiceCtx; input: { customerId: string; description?: string | undefined; createdBy: string } }): Promise<KeyView> {
  masterRing(ctx.config);
  await findHomedCustomer(ctx, input.customerId);
  const row = await insertKey(ctx, { customerId: input.customerId, description: input.description || null, isDefault: false, createdBy: input.createdBy });
  return keyView(row!, ctx.config.region.region_id);
}

export async function listCustomerKeys({ ctx, input }: { ctx: KeyCtx; input: { customerId: string; limit: number; after?: { t: string; id: string } | undefined } }) {
  const after = input.after
    ? or(gt(customerKeys.createdAt, new Date(input.after.t)), and(eq(customerKeys.createdAt, new Date(input.after.t)), gt(customerKeys.keyId, input.after.id)))
    : undefined;
  const rows = await ctx.db
    .select()
    .from(customerKeys)
    .where(and(eq(customerKeys.customerId, input.customerId), after))
    .orderBy(asc(customerKeys.createdAt), asc(customerKeys.keyId))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return { items: page.map((r) => keyView(r, ctx.config.region.region_id)), next: rows.length > input.limit && last ? { t: last.createdAt.toISOString(), id: last.keyId } : undefined };
}

export async function getCustomerKey({ ctx, input }: { ctx: KeyCtx; input: { customerId: string; keyId: string } }): Promise<KeyView> {
  return keyView(await findRow(ctx, input.customerId, input.keyId), ctx.config.region.region_id);
}

/** A new version becomes current (new data keys use it); older versions keep unwrapping. Enabled keys only, as AWS. */
export async function rotateCustomerKey({ ctx, input }: { ctx: KeyServiceCtx; input: { customerId: string; keyId: string } }): Promise<KeyView> {
  const ring = masterRing(ctx.config);
  await findRow(ctx, input.customerId, input.keyId);
  const now = ctx.clock.now();
  const row = await ctx.db.transaction(async (tx) => {
    const [locked] = await tx.select().from(customerKeys).where(eq(customerKeys.keyId, input.keyId)).for("update");
    if (locked!.state !== "Enabled") throw apiError.conflict(`key ${input.keyId} is ${locked!.state}: only an Enabled key can be rotated`);
    const version = locked!.currentVersion + 1;
    await insertVersion(tx, ring, { customerId: input.customerId, keyId: input.keyId, version }, now);
    const [updated] = await tx.update(customerKeys).set({ currentVersion: version, updatedAt: now }).where(eq(customerKeys.keyId, input.keyId)).returning();
    return updated!;
  });
  forget(ctx, input.customerId);
  return keyView(row, ctx.config.region.region_id);
}

/** Moves a key from one of `from` to `to`; a key in any other state is a 409 naming its state. */
async function transition(ctx: KeyServiceCtx, input: { customerId: string; keyId: string }, from: CustomerKeyState[], set: Partial<Row> & { state: CustomerKeyState }, why?: (r: Row) => string | undefined) {
  const current = await findRow(ctx, input.customerId, input.keyId);
  const refusal = why?.(current);
  if (refusal) throw apiError.conflict(refusal);
  const [row] = await ctx.db
    .update(customerKeys)
    .set({ ...set, updatedAt: ctx.clock.now() })
    .where(and(eq(customerKeys.keyId, input.keyId), eq(customerKeys.customerId, input.customerId), inArray(customerKeys.state, from)))
    .returning();
  forget(ctx, input.customerId);
  if (!row) throw apiError.conflict(`key ${input.keyId} is ${(await findRow(ctx, input.customerId, input.keyId)).state}: it cannot become ${set.state}`);
  return { before: current.state, key: keyView(row, ctx.config.region.region_id) };
}

export const disableCustomerKey = ({ ctx, input }: { ctx: KeyServiceCtx; input: { customerId: string; keyId: string } }) =>
  transition(ctx, input, ["Enabled", "Disabled"], { state: "Disabled" });

export const enableCustomerKey = ({ ctx, input }: { ctx: KeyServiceCtx; input: { customerId: string; keyId: string } }) =>
  transition(ctx, input, ["Enabled", "Disabled"], { state: "Enabled" });

/** The default key protects every SSE-S3 object: only crypto-shredding the customer destroys it. */
export function scheduleKeyDeletion({ ctx, input }: { ctx: KeyServiceCtx; input: { customerId: string; keyId: string; pendingDays: number } }) {
  const deletionDate = new Date(ctx.clock.now().getTime() + input.pendingDays * 86_400_000);
  return transition(ctx, input, ["Enabled", "Disabled"], { state: "PendingDeletion", deletionDate }, (r) =>
    r.isDefault ? `key ${r.keyId} is the customer's default key: it is destroyed only by crypto-shredding the customer` : undefined,
  );
}

/** As AWS: a cancelled deletion leaves the key Disabled, to be enabled deliberately. */
export const cancelKeyDeletion = ({ ctx, input }: { ctx: KeyServiceCtx; input: { customerId: string; keyId: string } }) =>
  transition(ctx, input, ["PendingDeletion"], { state: "Disabled", deletionDate: null });

/** The region's keys by state (metrics, dashboard). */
export async function keyStateCounts(db: KeyCtx["db"]): Promise<Record<string, number>> {
  const rows = await db.select({ state: customerKeys.state, n: count() }).from(customerKeys).groupBy(customerKeys.state);
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}
