import { accessKeyRouting } from "@s3gw/schema-global";
import { eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { GlobalDb } from "../db.ts";
import type { Logger } from "../logger.ts";
import { LookupCache } from "./lookup-cache.ts";

/** The shape of AWS access key ids (ours are `S3GW` + 16 base32 characters). */
export const ACCESS_KEY_ID_RE = /^[A-Z0-9]{16,128}$/;

export type PutOutcome = "created" | "unchanged" | "conflict";

/** access key id → customer, so signed requests can be routed. The secret never reaches this layer. */
export interface AccessKeyStore {
  loadAll(): Promise<Array<{ accessKeyId: string; customerId: string }>>;
  find(accessKeyId: string): Promise<string | undefined>;
  /** "conflict" when the id already belongs to another customer (nothing is changed then). */
  put(accessKeyId: string, customerId: string): Promise<PutOutcome>;
  remove(accessKeyId: string): Promise<boolean>;
}

const columns = { accessKeyId: accessKeyRouting.accessKeyId, customerId: accessKeyRouting.customerId };

export function createAccessKeyStore(db: GlobalDb): AccessKeyStore {
  const find = async (accessKeyId: string) => {
    const rows = await db.select(columns).from(accessKeyRouting).where(eq(accessKeyRouting.accessKeyId, accessKeyId)).limit(1);
    return rows[0]?.customerId;
  };
  return {
    loadAll: () => db.select(columns).from(accessKeyRouting),
    find,
    async put(accessKeyId, customerId) {
      const inserted = await db
        .insert(accessKeyRouting)
        .values({ accessKeyId, customerId })
        .onConflictDoNothing({ target: accessKeyRouting.accessKeyId })
        .returning({ id: accessKeyRouting.accessKeyId });
      if (inserted.length === 1) return "created";
      return (await find(accessKeyId)) === customerId ? "unchanged" : "conflict";
    },
    async remove(accessKeyId) {
      const rows = await db.delete(accessKeyRouting).where(eq(accessKeyRouting.accessKeyId, accessKeyId)).returning({ id: accessKeyRouting.accessKeyId });
      return rows.length === 1;
    },
  };
}

/** access key id → customer in memory, loaded and refreshed like the routing cache. */
export class AccessKeyCache extends LookupCache<string> {
  constructor(opts: { store: AccessKeyStore; clock: Clock; logger: Logger; negativeTtlMs?: number; onChange?: () => void }) {
    super({
      loadAll: async () => (await opts.store.loadAll()).map((r) => [r.accessKeyId, r.customerId] as const),
      find: (accessKeyId) => opts.store.find(accessKeyId),
      clock: opts.clock,
      logger: opts.logger,
      name: "access-key cache",
      negativeTtlMs: opts.negativeTtlMs,
      onChange: opts.onChange,
    });
  }
}
