import { and, eq, sql } from "drizzle-orm";
import { processedEvents } from "@s3gw/schema-regional";
import type { RegionalDb, RegionalTx } from "../../../env.ts";

export type ProcessedRow = typeof processedEvents.$inferSelect;
type Writer = RegionalDb | RegionalTx;

export async function findProcessed(db: RegionalDb, eventId: string): Promise<ProcessedRow | undefined> {
  const [row] = await db.select().from(processedEvents).where(eq(processedEvents.eventId, eventId)).limit(1);
  return row;
}

/**
 * Takes the command's id for this run, in the caller's transaction: false when another run
 * (a duplicate on another instance) has it. A concurrent duplicate waits here for the
 * first one's commit, then finds the row.
 */
export async function claimProcessed(tx: Writer, row: { eventId: string; command: string; outcome: ProcessedRow["outcome"]; detail: Record<string, unknown>; now: Date }): Promise<boolean> {
  const inserted = await tx
    .insert(processedEvents)
    .values({ eventId: row.eventId, command: row.command, outcome: row.outcome, detail: row.detail, processedAt: row.now })
    .onConflictDoNothing()
    .returning({ id: processedEvents.eventId });
  return inserted.length > 0;
}

export async function setProcessedDetail(tx: Writer, eventId: string, detail: Record<string, unknown>): Promise<void> {
  await tx.update(processedEvents).set({ detail: sql`${processedEvents.detail} || ${JSON.stringify(detail)}::jsonb` }).where(eq(processedEvents.eventId, eventId));
}

/** A command given up on: whatever an earlier run recorded becomes dead_lettered, keeping its detail. */
export async function recordDeadLettered(db: Writer, row: { eventId: string; command: string; detail: Record<string, unknown>; now: Date }): Promise<void> {
  await db
    .insert(processedEvents)
    .values({ eventId: row.eventId, command: row.command, outcome: "dead_lettered", detail: row.detail, processedAt: row.now })
    .onConflictDoUpdate({
      target: processedEvents.eventId,
      set: { outcome: "dead_lettered", detail: sql`${processedEvents.detail} || ${JSON.stringify(row.detail)}::jsonb`, processedAt: row.now },
    });
}

/** A dead-lettered command published again (its cause fixed): it never ran to the end, so it runs as new. */
export async function forgetDeadLettered(db: Writer, eventId: string): Promise<void> {
  await db.delete(processedEvents).where(and(eq(processedEvents.eventId, eventId), eq(processedEvents.outcome, "dead_lettered")));
}

export async function markProcessedDone(db: Writer, eventId: string): Promise<void> {
  await db.update(processedEvents).set({ outcome: "done" }).where(eq(processedEvents.eventId, eventId));
}
