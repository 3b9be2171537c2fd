import type { Logger } from "pino";
import type { CompiledPolicy } from "@s3gw/core";
import { z } from "zod";
import type { ActiveAccessKey } from "../access/access-keys.ts";
import type { Customer } from "../access/customers.ts";
import type { CustomerRules } from "../compliance/rules.ts";
import type { Bucket } from "../objects/buckets.ts";
import type { StorageConfigRow } from "../storage/customer-storage.ts";
import type { LifecycleRule } from "@s3gw/schema-regional";
import { customerCachePrefix, type CachedKeyEntry } from "../keys/key-store.ts";
import { TtlCache } from "./ttl-cache.ts";

/** The channel migration 0004's triggers notify on every change to a cached table. */
export const CACHE_CHANNEL = "s3gw_cache";

/**
 * The safety bound: a change whose notification is lost (a silently dead LISTEN connection)
 * still takes effect within this long. A notified change takes effect as soon as it arrives
 * (milliseconds after the commit); a change made through this instance, at once.
 */
export const CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

const notification = z.object({
  t: z.string(),
  c: z.string().nullish(),
  k: z.string().nullish(),
  b: z.string().nullish(),
  /** bucket_id, for rows that name their bucket only by id (bucket_lifecycle; migration 0011) */
  i: z.string().nullish(),
});

export const bucketCacheKey = (customerId: string, bucketName: string): string => `${customerId}\u0000${bucketName}`;
/** Bucket settings by customer first, so one customer's notification forgets only that customer's. */
export const bucketSettingCacheKey = (customerId: string, bucketId: string, kind: string): string => `${customerId}\u0000${bucketId}\u0000${kind}`;

/** A bucket_settings document as cached; `null` when the bucket has none of that kind (absence is cached too: inserts notify). */
export interface CachedBucketSetting { document: unknown }

/**
 * The hot path's lookups, per gateway instance: access keys (with the opened secret, in memory
 * only), customers, buckets, compliance rules and where a customer's new writes go. Built in the composition root (deps.ts) and
 * kept current by the region database's notifications (see CacheInvalidationListener).
 */
export class RegionalCache {
  readonly accessKeys: TtlCache<ActiveAccessKey>;
  readonly customers: TtlCache<Customer>;
  readonly buckets: TtlCache<Bucket>;
  readonly rules: TtlCache<CustomerRules>;
  readonly bucketSettings: TtlCache<CachedBucketSetting>;
  /** Bucket policies ready to evaluate (compiling one costs ~100 µs), under bucketSettings' keys; `null`: none. */
  readonly bucketPolicies: TtlCache<{ policy: CompiledPolicy | null }>;
  /** A customer's storage configuration as the write path sees it; `config` absent: hosted storage. */
  readonly storageConfigs: TtlCache<{ config?: StorageConfigRow }>;
  /** A bucket's lifecycle rules by bucket id (PUT and HEAD announce expiry); `rules` absent: none. */
  readonly lifecycles: TtlCache<{ rules?: LifecycleRule[] }>;
  /** Customer keys (state, opened KEK material in memory only) and default key ids, by customer first (see keys/key-store.ts). */
  readonly customerKeys: TtlCache<CachedKeyEntry>;

  private readonly logger: Logger;

  constructor(logger: Logger, opts: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.logger = logger;
    const o = { ttlMs: opts.ttlMs ?? CACHE_TTL_MS, maxEntries: opts.maxEntries ?? MAX_ENTRIES, ...(opts.now ? { now: opts.now } : {}) };
    this.accessKeys = new TtlCache(o);
    this.customers = new TtlCache(o);
    this.buckets = new TtlCache(o);
    this.rules = new TtlCache(o);
    this.bucketSettings = new TtlCache(o);
    this.bucketPolicies = new TtlCache(o);
    this.storageConfigs = new TtlCache(o);
    this.lifecycles = new TtlCache(o);
    this.customerKeys = new TtlCache(o);
  }

  private all() {
    return [this.accessKeys, this.customers, this.buckets, this.rules, this.bucketSettings, this.bucketPolicies, this.storageConfigs, this.lifecycles, this.customerKeys] as const;
  }

  /**
   * Listening (again): start caching from empty, since anything changed before may have been
   * missed. Not listening: every lookup reads the database until the listener is back.
   */
  setLive(live: boolean): void {
    for (const c of this.all()) c.setLive(live);
  }

  clear(): void {
    for (const c of this.all()) c.clear();
  }

  /** One notification from the database: forget what it names; anything unreadable drops everything. */
  onNotification(payload: string): void {
    let parsed: z.infer<typeof notification>;
    try {
      parsed = notification.parse(JSON.parse(payload));
    } catch {
      this.logger.warn({ payload: payload.slice(0, 200) }, "unreadable cache notification: dropping the whole cache");
      return this.clear();
    }
    const { t, c, k, b, i } = parsed;
    if (t === "access_keys" && k) this.accessKeys.invalidate(k);
    else if (t === "customers" && c) this.customers.invalidate(c);
    else if (t === "buckets" && c && b) this.buckets.invalidate(bucketCacheKey(c, b));
    else if (t === "compliance_rules" && c) this.rules.invalidate(c);
    else if (t === "bucket_settings" && c) {
      this.bucketSettings.invalidatePrefix(`${c}\u0000`);
      this.bucketPolicies.invalidatePrefix(`${c}\u0000`);
    }
    else if (t === "customer_storage" && c) this.storageConfigs.invalidate(c);
    else if (t === "bucket_lifecycle" && i) this.lifecycles.invalidate(i);
    else if ((t === "customer_keys" || t === "customer_key_versions") && c) this.customerKeys.invalidatePrefix(customerCachePrefix(c));
    else this.clear(); // TRUNCATE ('*'), or a shape this version does not know
  }
}
