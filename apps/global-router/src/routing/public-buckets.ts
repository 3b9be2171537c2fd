import { publicBucketRouting } from "@s3gw/schema-global";
import { and, eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { GlobalDb } from "../db.ts";
import type { Logger } from "../logger.ts";
import type { PutOutcome } from "./access-keys.ts";
import { LookupCache } from "./lookup-cache.ts";

/**
 * Public bucket name → customer, so an anonymous GET/HEAD can be routed. Only the name and the
 * customer id: whether a read is allowed is decided by the home region's own rule.
 */
export interface PublicBucketStore {
  loadAll(): Promise<Array<{ bucketName: string; customerId: string }>>;
  find(bucketName: string): Promise<string | undefined>;
  /** "conflict" when another customer holds the name (nothing is changed then). */
  put(bucketName: string, customerId: string): Promise<PutOutcome>;
  /** Removes the name only if this customer holds it: a stale removal never frees another's claim. */
  remove(bucketName: string, customerId: string): Promise<boolean>;
}

const columns = { bucketName: publicBucketRouting.bucketName, customerId: publicBucketRouting.customerId };

export function createPublicBucketStore(db: GlobalDb): PublicBucketStore {
  const find = async (bucketName: string) => {
    const rows = await db.select(columns).from(publicBucketRouting).where(eq(publicBucketRouting.bucketName, bucketName)).limit(1);
    return rows[0]?.customerId;
  };
  return {
    loadAll: () => db.select(columns).from(publicBucketRouting),
    find,
    async put(bucketName, customerId) {
      const inserted = await db
        .insert(publicBucketRouting)
        .values({ bucketName, customerId })
        .onConflictDoNothing({ target: publicBucketRouting.bucketName })
        .returning({ name: publicBucketRouting.bucketName });
      if (inserted.length === 1) return "created";
      return (await find(bucketName)) === customerId ? "unchanged" : "conflict";
    },
    async remove(bucketName, customerId) {
      const rows = await db
        .delete(publicBucketRouting)
        .where(and(eq(publicBucketRouting.bucketName, bucketName), eq(publicBucketRouting.customerId, customerId)))
        .returning({ name: publicBucketRouting.bucketName });
      return rows.length === 1;
    },
  };
}

/** Public bucket name → customer in memory, loaded and refreshed like the access-key map (ROUTING_REFRESH_MS). */
export class PublicBucketCache extends LookupCache<string> {
  constructor(opts: { store: PublicBucketStore; clock: Clock; logger: Logger; negativeTtlMs?: number }) {
    super({
      loadAll: async () => (await opts.store.loadAll()).map((r) => [r.bucketName, r.customerId] as const),
      find: (bucketName) => opts.store.find(bucketName),
      clock: opts.clock,
      logger: opts.logger,
      name: "public-bucket cache",
      negativeTtlMs: opts.negativeTtlMs,
    });
  }
}
