import { accessKeys, customerOffboarding, customers, type OffboardingStep } from "@s3gw/schema-regional";
import { and, eq, lt, ne, or, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";

export type OffboardingJob = typeof customerOffboarding.$inferSelect;

/** A job whose runner has not written for this long is taken over (its process died). */
export const STALE_RUNNER_MS = 2 * 60_000;

export async function findJob(db: Deps["db"], customerId: string): Promise<OffboardingJob | undefined> {
  const [row] = await db.select().from(customerOffboarding).where(eq(customerOffboarding.customerId, customerId)).limit(1);
  return row;
}

/** Creates the job, claimed by the caller; undefined when the customer already has one. */
export async function createJob(deps: Pick<Deps, "db" | "clock">, input: { customerId: string; reason: string; exportRequested: boolean; requestedBy: string }) {
  const now = deps.clock.now();
  const [row] = await deps.db
    .insert(customerOffboarding)
    .values({ ...input, status: "running", step: "freeze", startedAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  return row;
}

/**
 * Claims an existing, unfinished job for one runner: one that failed, or whose runner went
 * quiet (STALE_RUNNER_MS). Undefined when another runner has it or it is completed.
 */
export async function claimJob(deps: Pick<Deps, "db" | "clock">, customerId: string): Promise<OffboardingJob | undefined> {
  const now = deps.clock.now();
  const [row] = await deps.db
    .update(customerOffboarding)
    .set({ status: "running", updatedAt: now })
    .where(
      and(
        eq(customerOffboarding.customerId, customerId),
        ne(customerOffboarding.status, "completed"),
        or(eq(customerOffboarding.status, "failed"), lt(customerOffboarding.updatedAt, new Date(now.getTime() - STALE_RUNNER_MS))),
      ),
    )
    .returning();
  return row;
}

/** Records a finished step (its result merged under its name) and the step to run next. */
export async function advance(deps: Pick<Deps, "db" | "clock">, customerId: string, done: OffboardingStep, next: OffboardingStep, result: unknown) {
  const [row] = await deps.db
    .update(customerOffboarding)
    .set({ step: next, result: sql`${customerOffboarding.result} || ${JSON.stringify({ [done]: result })}::jsonb`, lastError: null, updatedAt: deps.clock.now() })
    .where(eq(customerOffboarding.customerId, customerId))
    .returning();
  return row!;
}

export async function failJob(deps: Pick<Deps, "db" | "clock">, customerId: string, message: string) {
  await deps.db
    .update(customerOffboarding)
    .set({ status: "failed", lastError: message.slice(0, 1000), updatedAt: deps.clock.now() })
    .where(eq(customerOffboarding.customerId, customerId));
}

/** The last step: the customer row stays as a tombstone (status offboarded), its access keys disabled, the job completed. */
export async function writeTombstone(deps: Pick<Deps, "db" | "clock">, customerId: string) {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const keys = await tx.update(accessKeys).set({ status: "disabled", updatedAt: now }).where(eq(accessKeys.customerId, customerId)).returning({ id: accessKeys.accessKeyId });
    await tx.update(customers).set({ status: "offboarded", updatedAt: now }).where(eq(customers.customerId, customerId));
    const [row] = await tx
      .update(customerOffboarding)
      .set({
        status: "completed", step: "done", completedAt: now, updatedAt: now, lastError: null,
        result: sql`${customerOffboarding.result} || ${JSON.stringify({ tombstone: { status: "offboarded", access_keys_disabled: keys.length, audit_trail: "kept: the operations log is append-only and untouched" } })}::jsonb`,
      })
      .where(eq(customerOffboarding.customerId, customerId))
      .returning();
    return row!;
  });
}

export function jobView(j: OffboardingJob) {
  return {
    customer_id: j.customerId,
    status: j.status,
    step: j.step,
    reason: j.reason,
    export: j.exportRequested,
    requested_by: j.requestedBy,
    started_at: j.startedAt.toISOString(),
    updated_at: j.updatedAt.toISOString(),
    completed_at: j.completedAt?.toISOString() ?? null,
    last_error: j.lastError,
    result: j.result,
  };
}
