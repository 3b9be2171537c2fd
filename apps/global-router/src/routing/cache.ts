import type { Clock } from "../clock.ts";
import { errorSummary } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { RoutingStore } from "./store.ts";

export interface RoutingCacheOptions {
  store: RoutingStore;
  clock: Clock;
  logger: Logger;
  /** How long an unknown customer id is remembered as unknown. */
  negativeTtlMs?: number;
  /** Bound on remembered unknown ids, so random ids cannot grow memory without limit. */
  maxNegativeEntries?: number;
}

export interface RoutingCacheStats {
  entries: number;
  hits: number;
  misses: number;
}

/**
 * customer → home region, held in memory so S3 requests never wait on the global database.
 * The whole map is reloaded periodically (other router instances may have registered
 * customers); a miss asks the database once per id and remembers a negative answer briefly.
 */
export class RoutingCache {
  readonly #store: RoutingStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #negativeTtlMs: number;
  readonly #maxNegative: number;
  #routes = new Map<string, string>();
  readonly #negative = new Map<string, number>();
  readonly #inflight = new Map<string, Promise<string | undefined>>();
  // Writes made while a reload is in flight, re-applied over its (possibly older) snapshot.
  #writesDuringReload: Map<string, string> | undefined;
  #hits = 0;
  #misses = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: RoutingCacheOptions) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#logger = opts.logger;
    this.#negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    this.#maxNegative = opts.maxNegativeEntries ?? 10_000;
  }

  /** Replaces the whole map with the database's; on failure the previous map stays. */
  async reload(): Promise<void> {
    const writes = new Map<string, string>();
    this.#writesDuringReload = writes;
    try {
      const rows = await this.#store.loadAll();
      const next = new Map(rows.map((r) => [r.customerId, r.primaryRegionId]));
      for (const [customerId, regionId] of writes) next.set(customerId, regionId);
      this.#routes = next;
      this.#negative.clear();
    } finally {
      if (this.#writesDuringReload === writes) this.#writesDuringReload = undefined;
    }
  }

  startRefresh(intervalMs: number): void {
    this.stopRefresh();
    this.#timer = setInterval(() => {
      this.reload().catch((err: unknown) => {
        this.#logger.warn({ error: errorSummary(err), entries: this.#routes.size }, "routing cache refresh failed; keeping previous entries");
      });
    }, intervalMs);
    this.#timer.unref();
  }

  stopRefresh(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Home region of a customer, or undefined if it has none. Throws only if the database is needed and down. */
  async resolve(customerId: string): Promise<string | undefined> {
    const cached = this.#routes.get(customerId);
    if (cached !== undefined) {
      this.#hits++;
      return cached;
    }
    this.#misses++;
    const negativeUntil = this.#negative.get(customerId);
    if (negativeUntil !== undefined) {
      if (negativeUntil > this.#clock.now()) return undefined;
      this.#negative.delete(customerId);
    }
    let pending = this.#inflight.get(customerId);
    if (!pending) {
      pending = this.#lookup(customerId).finally(() => this.#inflight.delete(customerId));
      this.#inflight.set(customerId, pending);
    }
    return pending;
  }

  set(customerId: string, regionId: string): void {
    this.#routes.set(customerId, regionId);
    this.#negative.delete(customerId);
    this.#writesDuringReload?.set(customerId, regionId);
  }

  stats(): RoutingCacheStats {
    return { entries: this.#routes.size, hits: this.#hits, misses: this.#misses };
  }

  async #lookup(customerId: string): Promise<string | undefined> {
    const route = await this.#store.find(customerId);
    if (route) {
      this.set(route.customerId, route.primaryRegionId);
      return route.primaryRegionId;
    }
    if (this.#negative.size >= this.#maxNegative) {
      // Maps iterate in insertion order, so the first key is the oldest.
      const oldest = this.#negative.keys().next();
      if (!oldest.done) this.#negative.delete(oldest.value);
    }
    this.#negative.set(customerId, this.#clock.now() + this.#negativeTtlMs);
    return undefined;
  }
}
