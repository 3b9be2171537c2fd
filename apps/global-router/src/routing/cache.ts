import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import { LookupCache, type LookupCacheStats } from "./lookup-cache.ts";
import type { RoutingStore } from "./store.ts";

export interface RoutingCacheOptions {
  store: RoutingStore;
  clock: Clock;
  logger: Logger;
  /** How long an unknown customer id is remembered as unknown. */
  negativeTtlMs?: number;
  /** Bound on remembered unknown ids, so random ids cannot grow memory without limit. */
  maxNegativeEntries?: number;
  onChange?: () => void;
}

export type RoutingCacheStats = LookupCacheStats;

/** customer → home region, held in memory (see LookupCache). */
export class RoutingCache extends LookupCache<string> {
  constructor(opts: RoutingCacheOptions) {
    super({
      loadAll: async () => (await opts.store.loadAll()).map((r) => [r.customerId, r.primaryRegionId] as const),
      find: async (customerId) => (await opts.store.find(customerId))?.primaryRegionId,
      clock: opts.clock,
      logger: opts.logger,
      name: "routing cache",
      negativeTtlMs: opts.negativeTtlMs,
      maxNegativeEntries: opts.maxNegativeEntries,
      onChange: opts.onChange,
    });
  }
}
