import type { Logger } from "pino";
import type { RegionalConfig } from "../../../config.ts";
import type { Clock, RegionalDb } from "../../../env.ts";
import type { GatewayMetrics } from "../../ops/metrics.ts";
import { targetsWithDueDeliveries } from "./due-deliveries.ts";
import { FAN_OUT_BATCH, fanOut, hasBacklog, liveTargets, type TargetRow } from "./fan-out.ts";
import { deleteFinishedEvents, killDeliveriesOfDeletedTargets } from "./housekeeping.ts";
import { WorkerLease } from "./lease.ts";
import type { EventDispatcherSettings } from "./settings.ts";
import { TargetLane } from "./target-lane.ts";

export const DISPATCHER_LEASE = "event-dispatcher";
/** How long stop() waits for sends in flight (each is bounded by its target's timeout anyway). */
const STOP_GRACE_MS = 10_000;
const HOUSEKEEPING_EVERY_MS = 60_000;
const FAN_OUT_ROUNDS = 10;

export interface EventDispatcherDeps {
  db: RegionalDb;
  config: Pick<RegionalConfig, "region" | "masterKeys">;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: Clock;
}

/**
 * The region's event dispatcher. Every instance runs one; only the holder of the
 * `event-dispatcher` lease works: each tick renews the lease, fans new outbox rows out into
 * deliveries and lets each target's lane start what is due. Sends run in the lanes, off the
 * tick and off every request path: S3 requests only insert outbox rows.
 */
export class EventDispatcher {
  readonly lease: WorkerLease;
  private readonly lanes = new Map<string, TargetLane>();
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private lastHousekeeping = 0;
  private readonly deps: EventDispatcherDeps;
  private readonly settings: EventDispatcherSettings;

  constructor(deps: EventDispatcherDeps, settings: EventDispatcherSettings) {
    this.deps = deps;
    this.settings = settings;
    this.lease = new WorkerLease(deps.db, DISPATCHER_LEASE, settings.leaseTtlMs);
    this.logger = deps.logger.child({ worker: DISPATCHER_LEASE, holder: this.lease.holder });
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const loop = () => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.settings.pollMs).unref();
      });
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  /** One round; errors are logged and the next tick tries again (a database outage, a lost lease). */
  private async tick(): Promise<void> {
    try {
      const wasHeld = this.lease.isHeld;
      const held = await this.lease.keep().catch((err: Error) => {
        this.logger.warn({ err: err.message }, "event dispatcher lease renewal failed");
        return false;
      });
      if (held !== wasHeld) this.logger.info({ held }, held ? "event dispatcher lease acquired" : "event dispatcher lease lost");
      if (!held) return this.retireIdleLanes(new Set());
      // An idle region costs the lease and two index probes per tick; targets are read only when there is work.
      const db = this.deps.db;
      let targets: TargetRow[] | undefined;
      if (await hasBacklog(db)) {
        targets = await liveTargets(db);
        // A burst of writes is fanned out a few batches per tick, each its own short transaction.
        for (let round = 0; round < FAN_OUT_ROUNDS && !this.stopped; round++) {
          const fanned = await fanOut(db, targets);
          for (const targetId of fanned.refused) this.deps.metrics.countEventDelivery(targetId, "refused");
          if (fanned.events < FAN_OUT_BATCH) break;
        }
      }
      if (this.stopped) return;
      const due = await targetsWithDueDeliveries(db);
      if (due.size > 0) {
        targets ??= await liveTargets(db);
        await Promise.all(this.lanesToPump(targets).filter((lane) => due.has(lane.target.targetId)).map((lane) => lane.pump()));
      }
      if (Date.now() - this.lastHousekeeping >= HOUSEKEEPING_EVERY_MS) await this.housekeeping();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "event dispatcher tick failed");
    }
  }

  /**
   * The lanes of the live targets, created as needed. A target whose configuration changed (or
   * that was deleted) keeps its old lane, unpumped, until its sends in flight finished: a new
   * lane next to it would not know which ordering keys are busy.
   */
  private lanesToPump(targets: TargetRow[]): TargetLane[] {
    const live = new Set(targets.map((t) => t.targetId));
    this.retireIdleLanes(live);
    const pumped: TargetLane[] = [];
    for (const target of targets) {
      let lane = this.lanes.get(target.targetId);
      if (lane && !lane.sameAs(target)) {
        if (lane.busy > 0) continue;
        void lane.stop(0);
        lane = undefined;
      }
      if (!lane) {
        lane = new TargetLane({ ...this.deps, settings: this.settings, logger: this.logger, mayWork: () => !this.stopped && this.lease.isHeld }, target);
        this.lanes.set(target.targetId, lane);
      }
      pumped.push(lane);
    }
    return pumped;
  }

  /** Closes the lanes with nothing in flight whose target is not in `keep` (all, when the lease is gone). */
  private retireIdleLanes(keep: Set<string>): void {
    for (const [targetId, lane] of this.lanes) {
      if (keep.has(targetId) || lane.busy > 0) continue;
      this.lanes.delete(targetId);
      void lane.stop(0);
    }
  }

  private async housekeeping(): Promise<void> {
    this.lastHousekeeping = Date.now();
    const killed = await killDeliveriesOfDeletedTargets(this.deps.db);
    const removed = await deleteFinishedEvents(this.deps.db, this.settings.retentionHours);
    if (killed || removed) this.logger.info({ deadOfDeletedTargets: killed, eventsRemoved: removed }, "event housekeeping");
  }

  /** Stops polling, waits for sends in flight (bounded), closes the transports and releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.lanes.values()].map((lane) => lane.stop(STOP_GRACE_MS)));
    this.lanes.clear();
    // Deletes the row only while this instance is its holder, so it is safe whether or not it still is.
    await this.lease.release().catch((err: Error) => this.logger.warn({ err: err.message }, "event dispatcher lease release failed"));
  }
}
