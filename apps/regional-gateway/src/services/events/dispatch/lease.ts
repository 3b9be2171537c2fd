import { randomBytes } from "node:crypto";
import { workerLeases } from "@s3gw/schema-regional";
import { and, eq, sql } from "drizzle-orm";
import type { RegionalDb } from "../../../env.ts";

/**
 * A lease in `worker_leases` that makes a worker one per region however many gateway
 * instances share the database. Times are the database's (`now()`), so instances whose clocks
 * disagree still agree on when a lease expired. The holder id is random per instance: a
 * restarted process is a new holder and waits for its predecessor's lease like anyone else.
 */
export class WorkerLease {
  readonly holder: string;
  readonly name: string;
  private held = false;
  private renewStartedAt = 0;
  private readonly db: RegionalDb;
  private readonly ttlMs: number;

  constructor(db: RegionalDb, name: string, ttlMs: number) {
    this.db = db;
    this.name = name;
    this.ttlMs = ttlMs;
    this.holder = `${name}:${randomBytes(8).toString("hex")}`;
  }

  /**
   * Whether the last acquireOrRenew succeeded and its TTL has not run out since, on this
   * process's monotonic clock (it started before the statement did, so it errs early): a
   * holder whose renewals stall stops working before another instance may take over.
   */
  get isHeld(): boolean {
    return this.held && performance.now() - this.renewStartedAt < this.ttlMs;
  }

  /**
   * Takes the lease when it is free or expired, or extends it when this instance holds it, in
   * one statement: two instances racing for an expired lease cannot both win. A database error
   * counts as not holding: a holder that cannot renew must stop before its lease runs out.
   */
  async acquireOrRenew(): Promise<boolean> {
    const expiresAt = sql`now() + ${this.ttlMs} * interval '1 millisecond'`;
    const startedAt = performance.now();
    try {
      const rows = await this.db
        .insert(workerLeases)
        .values({ name: this.name, holder: this.holder, expiresAt, acquiredAt: sql`now()` })
        .onConflictDoUpdate({
          target: workerLeases.name,
          set: {
            holder: this.holder,
            expiresAt,
            acquiredAt: sql`case when ${workerLeases.holder} = ${this.holder} then ${workerLeases.acquiredAt} else now() end`,
          },
          where: sql`${workerLeases.holder} = ${this.holder} or ${workerLeases.expiresAt} < now()`,
        })
        .returning({ holder: workerLeases.holder });
      this.held = rows.length === 1;
      this.renewStartedAt = startedAt;
    } catch (err) {
      this.held = false;
      throw err;
    }
    return this.isHeld;
  }

  /**
   * What a worker calls every tick: a holder renews once a third of its TTL has passed, not on
   * every tick, so an idle region writes its lease a few times per TTL; an instance without the
   * lease tries to take it every time.
   */
  async keep(): Promise<boolean> {
    if (this.isHeld && performance.now() - this.renewStartedAt < this.ttlMs / 3) return true;
    return this.acquireOrRenew();
  }

  /** How often a holder busy with a long run renews (a third of the TTL). */
  get renewEveryMs(): number {
    return Math.max(250, Math.floor(this.ttlMs / 3));
  }

  /** Gives the lease up so another instance takes over at once instead of after the TTL. */
  async release(): Promise<void> {
    this.held = false;
    await this.db.delete(workerLeases).where(and(eq(workerLeases.name, this.name), eq(workerLeases.holder, this.holder)));
  }
}
