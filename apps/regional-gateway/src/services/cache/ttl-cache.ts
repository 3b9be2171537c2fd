/**
 * One kind of cached row (access keys, customers, ...), kept at most `ttlMs` and only while
 * invalidations are being received (`live`). Absent rows are never cached: a key or bucket
 * created a moment ago must be found at once.
 *
 * The race every read-through cache must close: a load that read the old row before a change
 * committed must not store it after the change's invalidation ran. Each invalidation bumps a
 * generation; a load stores its result only if no invalidation happened while it ran.
 */
export interface TtlCacheOptions {
  ttlMs: number;
  maxEntries: number;
  /** Monotonic milliseconds; a cache must expire even under a frozen test clock. */
  now?: () => number;
}

interface Entry<V> { value: V; expiresAt: number }
interface Flight<V> { generation: number; promise: Promise<V | undefined> }

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly flights = new Map<string, Flight<V>>();
  private generation = 0;
  private live = false;
  private readonly now: () => number;
  private readonly opts: TtlCacheOptions;

  constructor(opts: TtlCacheOptions) {
    this.opts = opts;
    this.now = opts.now ?? (() => performance.now());
  }

  /** The cached value, or `load()`'s (shared by concurrent callers of one key); undefined is not kept. */
  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    if (!this.live) return load();
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.expiresAt > this.now()) return hit.value;
      this.entries.delete(key);
    }
    const flight = this.flights.get(key);
    if (flight && flight.generation === this.generation) return flight.promise;
    const generation = this.generation;
    const startedAt = this.now();
    const promise = load().then(
      (value) => {
        if (this.flights.get(key)?.promise === promise) this.flights.delete(key);
        if (value !== undefined && this.live && this.generation === generation) this.store(key, value, startedAt);
        return value;
      },
      (err: unknown) => {
        if (this.flights.get(key)?.promise === promise) this.flights.delete(key);
        throw err;
      },
    );
    this.flights.set(key, { generation, promise });
    return promise;
  }

  /** The row behind `key` changed (or may have): forget it, and any load of it already running. */
  invalidate(key: string): void {
    this.generation++;
    this.entries.delete(key);
    this.flights.delete(key);
  }

  /** Forgets every entry whose key starts with `prefix` (e.g. all of one customer's). */
  invalidatePrefix(prefix: string): void {
    this.generation++;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
    for (const key of this.flights.keys()) if (key.startsWith(prefix)) this.flights.delete(key);
  }

  /** Forgets everything, e.g. when invalidations may have been missed. */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.flights.clear();
  }

  /** Caching only while invalidations arrive; otherwise every read goes to the database. */
  setLive(live: boolean): void {
    this.live = live;
    this.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private store(key: string, value: V, startedAt: number): void {
    // The TTL runs from when the row was read, not from when the answer arrived.
    if (this.entries.size >= this.opts.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: startedAt + this.opts.ttlMs });
  }
}
