import { customerMoves, type MoveStep, type PriorStanding } from "@s3gw/schema-regional";
import { and, eq, lt, ne, or, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";

export type MoveJob = typeof customerMoves.$inferSelect;
type Ctx = Pick<Deps, "db" | "clock">;

/** A job whose runner has not written for this long is taken over (its process died). */
export const STALE_RUNNER_MS = 2 * 60_000;

export async function findMove(db: Deps["db"], customerId: string): Promise<MoveJob | undefined> {
  const [row] = await db.select().from(customerMoves).where(eq(customerMoves.customerId, customerId)).limit(1);
  return row;
}

/** Creates the job, claimed by the caller; undefined when the customer already has one. */
export async function createMove(deps: Ctx, input: { customerId: string; toRegion: string; prior: PriorStanding; requestedBy: string }): Promise<MoveJob | undefined> {
  const now = deps.clock.now();
  const [row] = await deps.db
    .insert(customerMoves)
    .values({ ...input, status: "running", step: "fence", startedAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Claims an unfinished job for one runner: one that failed, or whose runner went quiet. Undefined when another runner has it, or it is done. */
export async function claimMove(deps: Ctx, customerId: string): Promise<MoveJob | undefined> {
  const now = deps.clock.now();
  const [row] = await deps.db
    .update(customerMoves)
    .set({ status: "running", updatedAt: now })
    .where(
      and(
        eq(customerMoves.customerId, customerId),
        ne(customerMoves.status, "completed"),
        or(eq(customerMoves.status, "failed"), lt(customerMoves.updatedAt, new Date(now.getTime() - STALE_RUNNER_MS))),
      ),
    )
    .returning();
  return row;
}

/** Records a finished step (its result merged under its name) and the step to run next. */
export async function advanceMove(deps: Ctx, customerId: string, done: MoveStep, next: MoveStep, result: unknown): Promise<MoveJob> {
  const now = deps.clock.now();
  const [row] = await deps.db
    .update(customerMoves)
    .set({
      step: next, lastError: null, updatedAt: now,
      result: sql`${customerMoves.result} || ${JSON.stringify({ [done]: result })}::jsonb`,
      ...(next === "done" ? { status: "completed" as const, completedAt: now } : {}),
    })
    .where(eq(customerMoves.customerId, customerId))
    .returning();
  return row!;
}

/** The copy's progress: the last version the target acknowledged, committed after each batch (and keeps the runner fresh). */
export async function saveCursor(deps: Ctx, customerId: string, cursor: MoveJob["cursor"], copied: { versions: number; bytes: number }): Promise<void> {
  await deps.db
    .update(customerMoves)
    .set({ cursor, versionsCopied: sql`${customerMoves.versionsCopied} + ${copied.versions}`, bytesCopied: sql`${customerMoves.bytesCopied} + ${copied.bytes}`, updatedAt: deps.clock.now() })
    .where(eq(customerMoves.customerId, customerId));
}

/** The runner's heartbeat, so a long object copy is not mistaken for a dead runner (STALE_RUNNER_MS). */
export async function touchMove(deps: Ctx, customerId: string): Promise<void> {
  await deps.db.update(customerMoves).set({ updatedAt: deps.clock.now() }).where(and(eq(customerMoves.customerId, customerId), eq(customerMoves.status, "running")));
}

export async function failMove(deps: Ctx, customerId: string, message: string): Promise<MoveJob | undefined> {
  const [row] = await deps.db
    .update(customerMoves)
    .set({ status: "failed", lastError: message.slice(0, 1000), updatedAt: deps.clock.now() })
    .where(eq(customerMoves.customerId, customerId))
    .returning();
  return row;
}

export function moveView(j: MoveJob) {
  return {
    customer_id: j.customerId,
    to_region: j.toRegion,
    status: j.status,
    step: j.step,
    versions_copied: j.versionsCopied,
    bytes_copied: j.bytesCopied,
    cursor: j.cursor ? { bucket: j.cursor.bucket, key: j.cursor.key, version_id: j.cursor.versionId } : null,
    requested_by: j.requestedBy,
    started_at: j.startedAt.toISOString(),
    updated_at: j.updatedAt.toISOString(),
    completed_at: j.completedAt?.toISOString() ?? null,
    last_error: j.lastError,
    result: j.result,
  };
}
