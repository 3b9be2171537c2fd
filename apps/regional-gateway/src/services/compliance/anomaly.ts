import { operationsLog } from "@s3gw/schema-regional";
import { and, count, eq, gte, lt } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { raiseComplianceEvent } from "./compliance-events.ts";
import { rulesFor } from "./rules.ts";

const HOUR_MS = 3_600_000;

interface Tally { n: number; raised: boolean }

/** This instance's operation counts per customer in the current hour window (one per gateway, built in deps.ts). */
export class AnomalyTallies {
  private start = -1;
  private customers = new Map<string, Tally>();

  /** The tally of `customerId` in the window starting at `start`, a new window's empty one when the hour turned. */
  tally(start: number, customerId: string): Tally {
    if (start !== this.start) {
      this.start = start;
      this.customers = new Map();
    }
    let tally = this.customers.get(customerId);
    if (!tally) this.customers.set(customerId, (tally = { n: 0, raised: false }));
    return tally;
  }
}

/**
 * How often (in this instance's operations) the region-wide count is asked for: about ten
 * times per window below the threshold, so other instances' operations are seen without a
 * query on most requests.
 */
const checkEvery = (threshold: number) => Math.max(1, Math.ceil(threshold / 10));

/**
 * Counts one operation of a customer, after its audit row is committed. When the customer
 * exceeds its operations-per-hour threshold within a fixed hour window, one `unusual_activity`
 * event is raised for that customer and window. This instance counts in memory; every
 * checkEvery(threshold) operations it asks operations_log for the region-wide count, and the
 * dedupe key makes the event unique across instances. Never throws: a failed check must not
 * fail the request it observes.
 */
export async function observeOperation(deps: Deps, customerId: string | undefined): Promise<void> {
  if (!customerId) return;
  try {
    const now = deps.clock.now();
    const start = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const tally = deps.anomalyTallies.tally(start, customerId);
    if (tally.raised) return;
    tally.n++;
    const seen = tally.n;
    const threshold = (await rulesFor(deps, customerId)).anomalyThresholdPerHour;
    let observed = seen;
    if (observed <= threshold) {
      if (seen % checkEvery(threshold) !== 0) return;
      const [row] = await deps.db
        .select({ n: count() })
        .from(operationsLog)
        .where(and(eq(operationsLog.customerId, customerId), gte(operationsLog.createdAt, new Date(start)), lt(operationsLog.createdAt, new Date(start + HOUR_MS))));
      observed = row?.n ?? 0;
      if (observed <= threshold) return;
    }
    if (tally.raised) return; // a concurrent observation got there while this one awaited
    tally.raised = true;
    const windowStart = new Date(start).toISOString();
    try {
      await raiseComplianceEvent(deps.db, now, {
        customerId,
        eventType: "unusual_activity",
        severity: "medium",
        description: `${customerId} made more than ${threshold} operations in the hour from ${windowStart}`,
        details: { threshold_per_hour: threshold, observed_operations: observed, window_start: windowStart, window_end: new Date(start + HOUR_MS).toISOString() },
        remediationHours: 24,
        dedupeKey: `anomaly:${customerId}:${windowStart}`,
      });
    } catch (err) {
      tally.raised = false;
      throw err;
    }
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, customerId }, "anomaly check failed");
  }
}
