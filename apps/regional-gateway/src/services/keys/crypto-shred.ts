import { apiError } from "@s3gw/core";
import { cryptoShredRequests, objectMetadata } from "@s3gw/schema-regional";
import { and, count, desc, eq, gt, or } from "drizzle-orm";
import { z } from "zod";
import type { Deps, RegionalDb, RegionalTx } from "../../env.ts";
import { findHomedCustomer } from "../access/customers.ts";

/** CRYPTO_SHRED_DELAY_SECONDS unset: a week to notice a mistaken (or malicious) request and cancel it. */
export const DEFAULT_CRYPTO_SHRED_DELAY_SECONDS = 7 * 86_400;

export const cryptoShredSchema = z.strictObject({ reason: z.string().trim().min(1, "a reason is required").max(1000) });

type Row = typeof cryptoShredRequests.$inferSelect;
type Ctx = Pick<Deps, "db" | "config" | "clock">;

export function shredView(r: Row) {
  return {
    request_id: r.requestId,
    customer_id: r.customerId,
    status: r.status,
    reason: r.reason,
    requested_by: r.requestedBy,
    requested_at: r.requestedAt.toISOString(),
    execute_after: r.executeAfter.toISOString(),
    executed_at: r.executedAt?.toISOString() ?? null,
    cancelled_by: r.cancelledBy,
    detail: r.detail,
  };
}

/** Object versions of the customer under legal hold or unexpired retention: each one forbids shredding. */
export async function protectedObjects(db: RegionalDb | RegionalTx, customerId: string, now: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(objectMetadata)
    .where(and(eq(objectMetadata.customerId, customerId), or(eq(objectMetadata.legalHold, true), gt(objectMetadata.retentionUntil, now))));
  return row?.n ?? 0;
}

const heldRefusal = (customerId: string, held: number) =>
  apiError.conflict(`customer ${customerId} has ${held} object version(s) under legal hold or unexpired retention: crypto-shredding would destroy data that must be kept`);

/** Schedules destroying every key of the customer after the configured delay; refused while anything is held. */
export async function scheduleCryptoShred({ ctx, input }: { ctx: Ctx; input: { customerId: string; reason: string; requestedBy: string } }) {
  await findHomedCustomer(ctx, input.customerId);
  const now = ctx.clock.now();
  const held = await protectedObjects(ctx.db, input.customerId, now);
  if (held > 0) throw heldRefusal(input.customerId, held);
  const delay = ctx.config.cryptoShredDelaySeconds ?? DEFAULT_CRYPTO_SHRED_DELAY_SECONDS;
  // The partial unique index (one pending request per customer) settles two concurrent requests.
  const [row] = await ctx.db
    .insert(cryptoShredRequests)
    .values({ customerId: input.customerId, reason: input.reason, requestedBy: input.requestedBy, requestedAt: now, executeAfter: new Date(now.getTime() + delay * 1000) })
    .onConflictDoNothing()
    .returning();
  if (!row) throw apiError.conflict(`customer ${input.customerId} already has a pending crypto-shred request`);
  return shredView(row);
}

/** The customer's latest request, whatever its status. */
export async function getCryptoShred({ ctx, input }: { ctx: Ctx; input: { customerId: string } }) {
  const [row] = await ctx.db
    .select()
    .from(cryptoShredRequests)
    .where(eq(cryptoShredRequests.customerId, input.customerId))
    .orderBy(desc(cryptoShredRequests.requestedAt))
    .limit(1);
  if (!row) throw apiError.notFound(`customer ${input.customerId} has no crypto-shred request`);
  return shredView(row);
}

/** Cancels the pending request; one already executed cannot be undone (its keys are gone). */
export async function cancelCryptoShred({ ctx, input }: { ctx: Ctx; input: { customerId: string; cancelledBy: string } }) {
  const [row] = await ctx.db
    .update(cryptoShredRequests)
    .set({ status: "cancelled", cancelledBy: input.cancelledBy })
    .where(and(eq(cryptoShredRequests.customerId, input.customerId), eq(cryptoShredRequests.status, "pending")))
    .returning();
  if (!row) throw apiError.conflict(`customer ${input.customerId} has no pending crypto-shred request to cancel`);
  return shredView(row);
}
