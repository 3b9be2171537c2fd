import type { Clock } from "../clock.ts";
import { errorSummary } from "../errors.ts";
import type { Logger } from "../logger.ts";

export interface LookupCacheOptions<V> {
  /** Every entry, for start-up and periodic reloads. */
  loadAll(): Promise<Array<readonly [string, V]>>;
  /** One entry, on a miss. */
  find(key: string): Promise<V | undefined>;
  clock: Clock;
  logger: Logger;
  /** Names the cache in log lines. */
  name: string;
  /** How long an unknown key is remembered as unknown. */
  negativeTtlMs?: number;
  /** Bound on remembered unknown keys, so random keys cannot grow memory without limit. */
  maxNegativeEntries?: number | undefined;
  /** Called after the map changed or was reloaded (e.g. to write the local snapshot). */
  onChange?: (() => void) | undefined;
}

export interface LookupCacheStats {
  entries: number;
  hits: number;
  misses: number;
}

const DELETED = Symbol("deleted");

/**
 * A database table held in memory so S3 requests never wait on the global database. The
 * whole map is reloaded periodically (other router instances may have written); a miss
 * asks the database once per key and remembers a negative answer briefly.
 *
 * Staleness bound: a change made through this instance applies at once; one made through
 * another instance, or in the database directly (a revoked key, an unrouted customer), when
 * its notification arrives (refreshKey, routing/invalidation.ts: milliseconds), and at the
 * latest within one refresh interval (ROUTING_REFRESH_MS) should notifications be lost; a
 * reload also forgets remembered unknown keys. Shown across two instances in
 * test/cache-instances.test.ts. The map only picks the region: a stale entry for a revoked key
 * still reaches only the key's region, which refuses it.
 */
export class LookupCache<V> {
  readonly #opts: LookupCacheOptions<V>;
  readonly #negativeTtlMs: number;
  readonly #maxNegative: number;
  #entries = new Map<string, V>();
  readonly #negative = new Map<string, number>();
  readonly #inflight = new Map<string, Promise<V | undefined>>();
  // Writes made while a reload is in flight, re-applied over its (possibly older) snapshot.
  #writesDuringReload: Map<string, V | typeof DELETED> | undefined;
  // Bumped by refreshKey: a lookup begun before it does not store what it read.
  #generation = 0;
  // The latest refreshKey of each key being re-read.
  readonly #refreshing = new Map<string, number>();
  #hits = 0;
  #misses = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: LookupCacheOptions<V>) {
    this.#opts = opts;
    this.#negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    this.#maxNegative = opts.maxNegativeEntries ?? 10_000;
  }

  /** Replaces the whole map with the database's; on failure the previous map stays. */
  async reload(): Promise<void> {
    const writes = new Map<string, V | typeof DELETED>();
    this.#writesDuringReload = writes;
    try {
      const next = new Map(await this.#opts.loadAll());
      for (const [key, value] of writes) {
        if (value === DELETED) next.delete(key);
        else next.set(key, value);
      }
      this.#entries = next;
      this.#negative.clear();
      this.#opts.onChange?.();
    } finally {
      if (this.#writesDuringReload === writes) this.#writesDuringReload = undefined;
    }
  }

  startRefresh(intervalMs: number): void {
    this.stopRefresh();
    this.#timer = setInterval(() => {
      this.reload().catch((err: unknown) => {
        this.#opts.logger.warn({ error: errorSummary(err), entries: this.#entries.size }, `${this.#opts.name} refresh failed; keeping previous entries`);
      });
    }, intervalMs);
    this.#timer.unref();
  }

  stopRefresh(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The value for `key`, or undefined if it has none. Throws only if the database is needed and down. */
  async resolve(key: string): Promise<V | undefined> {
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      this.#hits++;
      return cached;
    }
    this.#misses++;
    const negativeUntil = this.#negative.get(key);
    if (negativeUntil !== undefined) {
      if (negativeUntil > this.#opts.clock.now()) return undefined;
      this.#negative.delete(key);
    }
    let pending = this.#inflight.get(key);
    if (!pending) {
      const lookup: Promise<V | undefined> = this.#lookup(key).finally(() => {
        // A refreshKey may have replaced it with a newer lookup meanwhile.
        if (this.#inflight.get(key) === lookup) this.#inflight.delete(key);
      });
      this.#inflight.set(key, lookup);
      pending = lookup;
    }
    return pending;
  }

  set(key: string, value: V): void {
    const changed = this.#entries.get(key) !== value;
    this.#entries.set(key, value);
    this.#negative.delete(key);
    this.#writesDuringReload?.set(key, value);
    if (changed) this.#opts.onChange?.();
  }

  delete(key: string): void {
    const changed = this.#entries.delete(key);
    this.#writesDuringReload?.set(key, DELETED);
    if (changed) this.#opts.onChange?.();
  }

  /**
   * Re-reads `key` because it changed elsewhere (another instance, the database). Meanwhile the
   * old entry serves; a lookup begun before does not store what it read, and of two re-reads
   * of one key only the later one's answer is kept. If the database cannot answer, the entry
   * is dropped (the next request asks the database) rather than kept stale.
   */
  async refreshKey(key: string): Promise<void> {
    const ticket = ++this.#generation;
    this.#refreshing.set(key, ticket);
    this.#inflight.delete(key);
    let value: V | undefined;
    let failed: unknown;
    try {
      value = await this.#opts.find(key);
    } catch (err) {
      failed = err;
    }
    if (this.#refreshing.get(key) !== ticket) return;
    this.#refreshing.delete(key);
    this.#negative.delete(key);
    if (failed !== undefined) this.#opts.logger.warn({ error: errorSummary(failed) }, `${this.#opts.name}: re-reading a changed entry failed; dropped it`);
    if (value === undefined) this.delete(key);
    else this.set(key, value);
  }

  /** Every entry, for the local snapshot. */
  entries(): Array<[string, V]> {
    return [...this.#entries];
  }

  /** Starts from a saved copy (the database is down at start-up); the next reload replaces it. */
  seed(entries: Iterable<readonly [string, V]>): void {
    this.#entries = new Map(entries);
  }

  stats(): LookupCacheStats {
    return { entries: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }

  async #lookup(key: string): Promise<V | undefined> {
    const generation = this.#generation;
    const value = await this.#opts.find(key);
    if (generation !== this.#generation) return value;
    if (value !== undefined) {
      this.set(key, value);
      return value;
    }
    if (this.#negative.size >= this.#maxNegative) {
      // Maps iterate in insertion order, so the first key is the oldest.
      const oldest = this.#negative.keys().next();
      if (!oldest.done) this.#negative.delete(oldest.value);
    }
    this.#negative.set(key, this.#opts.clock.now() + this.#negativeTtlMs);
    return undefined;
  }
}
