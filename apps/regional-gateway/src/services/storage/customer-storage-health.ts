import { customerStorage } from "@s3gw/schema-regional";
import { backendFailureKind, classifyBackendError, shortReason } from "@s3gw/storage";
import { and, eq, ne } from "drizzle-orm";
import { Counter } from "prom-client";
import type { Deps } from "../../env.ts";
import { raiseComplianceEvent } from "../compliance/compliance-events.ts";
import { forgetStorageConfig } from "./customer-storage.ts";

/** How often one target's failures may reach the database (the first always does). */
export const MARK_INTERVAL_MS = 30_000;

/**
 * Notices at once when a customer's bucket fails during requests, instead of at the next
 * periodic probe: a failure that says the bucket is unreachable or refuses our credentials
 * marks its configuration unhealthy (so the write policy refuses new writes with
 * CustomerStorageUnavailable), raises one compliance event per healthy-to-unhealthy change,
 * and counts a metric. At most one database statement per target per MARK_INTERVAL_MS: a
 * burst of failing requests does not become a burst of writes. The periodic probe marks the
 * bucket healthy again once it recovers.
 */
export class CustomerStorageHealth {
  private readonly deps: Pick<Deps, "db" | "clock" | "logger" | "cache">;
  private readonly lastMarked = new Map<string, number>();
  private readonly failures: Counter<"kind">;
  private readonly intervalMs: number;

  constructor(deps: Pick<Deps, "db" | "clock" | "logger" | "metrics" | "cache">, intervalMs = MARK_INTERVAL_MS) {
    this.deps = deps;
    this.intervalMs = intervalMs;
    // No customer or target label: /metrics stays safe to expose and bounded in cardinality.
    this.failures = new Counter({
      name: "s3gw_customer_storage_failures_total",
      help: "Requests that failed because a customer-owned bucket was unavailable or refused the gateway's credentials.",
      labelNames: ["kind"],
      registers: [deps.metrics.registry],
    });
  }

  /** Called with every failure of a customer target's provider; never throws. */
  async observe(targetId: string, err: unknown): Promise<void> {
    const kind = backendFailureKind(err);
    if (kind === "other") return;
    this.failures.inc({ kind });
    const now = this.deps.clock.now();
    const last = this.lastMarked.get(targetId);
    if (last !== undefined && now.getTime() - last < this.intervalMs) return;
    this.lastMarked.set(targetId, now.getTime());
    const errorClass = classifyBackendError(err);
    const detail = `${kind === "auth" ? "refused during a request" : "unavailable during a request"}: ${shortReason(err)}`;
    try {
      // Only a change of state writes (and only one instance wins it): an unhealthy bucket stays as it is.
      const changed = await this.deps.db
        .update(customerStorage)
        .set({ status: "unhealthy", lastErrorClass: errorClass, lastError: detail, lastCheckedAt: now, updatedAt: now })
        .where(and(eq(customerStorage.targetId, targetId), eq(customerStorage.enabled, true), ne(customerStorage.status, "unhealthy")))
        .returning({ customerId: customerStorage.customerId });
      for (const { customerId } of changed) {
        forgetStorageConfig(this.deps, customerId);
        this.deps.logger.warn({ customer_id: customerId, target_id: targetId, error_class: errorClass }, "customer storage failed during a request; marked unhealthy");
        await raiseComplianceEvent(this.deps.db, now, {
          customerId,
          eventType: "customer_storage_unavailable",
          severity: "high",
          description: `The customer's own storage bucket (${targetId}) failed during a request (${errorClass}); new writes are refused until it passes a probe`,
          details: { target_id: targetId, error_class: errorClass, kind, found_by: "request" },
          remediationHours: 24,
        });
      }
    } catch (markErr) {
      this.deps.logger.error({ target_id: targetId, err: (markErr as Error).message }, "could not mark customer storage unhealthy");
    }
  }
}
