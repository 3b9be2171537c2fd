import { apiError } from "@s3gw/core";
import { customerOffboarding, customers } from "@s3gw/schema-regional";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Deps, RegionalDb, RegionalTx } from "../../env.ts";
import { findHomedCustomer, type Customer } from "./customers.ts";

export const suspendSchema = z.strictObject({
  reason: z.string().trim().min(1, "a reason is required").max(1000),
  reads: z.enum(["allowed", "refused"]),
});
export type Suspension = z.infer<typeof suspendSchema>;

type Ctx = Pick<Deps, "db" | "config" | "clock">;

/** Sets the customer's suspension in the caller's transaction (also the offboarding freeze). */
export async function setSuspension(db: RegionalDb | RegionalTx, customerId: string, s: Suspension, now: Date): Promise<Customer> {
  const [row] = await db
    .update(customers)
    .set({ status: "suspended", suspendedReason: s.reason, suspendedReads: s.reads, suspendedAt: now, updatedAt: now })
    .where(eq(customers.customerId, customerId))
    .returning();
  return row!;
}

/**
 * Suspends a customer: S3 writes refused, reads as chosen (customer-standing.ts). The change
 * reaches every gateway instance's cache through the customers table's change notification.
 * Suspending again replaces the reason and the read choice.
 */
export async function suspendCustomer(ctx: Ctx, customerId: string, s: Suspension): Promise<Customer> {
  const current = await findHomedCustomer(ctx, customerId);
  if (current.status === "offboarded") throw apiError.conflict(`customer ${customerId} is offboarded`);
  assertNotMoving(current);
  await assertNotOffboarding(ctx.db, customerId);
  return setSuspension(ctx.db, customerId, s, ctx.clock.now());
}

/** Lifts a suspension; refused for a customer being (or already) offboarded. */
export async function resumeCustomer(ctx: Ctx, customerId: string): Promise<Customer> {
  const current = await findHomedCustomer(ctx, customerId);
  if (current.status === "offboarded") throw apiError.conflict(`customer ${customerId} is offboarded`);
  assertNotMoving(current);
  if (current.status !== "suspended") throw apiError.conflict(`customer ${customerId} is not suspended`);
  await assertNotOffboarding(ctx.db, customerId);
  const [row] = await ctx.db
    .update(customers)
    .set({ status: "active", suspendedReason: null, suspendedReads: null, suspendedAt: null, updatedAt: ctx.clock.now() })
    .where(eq(customers.customerId, customerId))
    .returning();
  return row!;
}

/** A move keeps the standing it started with (restored on the target); the fence is the move's. */
function assertNotMoving(c: Customer): void {
  if (c.status === "moving_out" || c.status === "moving_in" || c.status === "moved") {
    throw apiError.conflict(`customer ${c.customerId} is ${c.status.replace("_", " ")} (a region move); its standing cannot change now`);
  }
}

async function assertNotOffboarding(db: RegionalDb, customerId: string): Promise<void> {
  const [job] = await db.select({ status: customerOffboarding.status }).from(customerOffboarding).where(eq(customerOffboarding.customerId, customerId)).limit(1);
  if (job) throw apiError.conflict(`customer ${customerId} is being offboarded (job ${job.status}); its freeze cannot be changed`);
}

export function suspensionView(c: Customer) {
  return {
    customer_id: c.customerId,
    status: c.status,
    suspended_reason: c.suspendedReason,
    suspended_reads: c.suspendedReads,
    suspended_at: c.suspendedAt?.toISOString() ?? null,
  };
}
