import { accessKeyRouting, customerRouting, publicBucketRouting } from "@s3gw/schema-global";
import { and, eq, sql } from "drizzle-orm";
import type { GlobalDb } from "../db.ts";
import type { LookupCache } from "./lookup-cache.ts";

export interface RouteListItem { customer_id: string; primary_region: string; created_at: string }

/** One page of the routing map in customer id order (byte-wise), optionally one region's only. */
export async function listRoutes(db: GlobalDb, opts: { limit: number; after?: string | undefined; regionId?: string | undefined }) {
  const rows = await db
    .select({ customerId: customerRouting.customerId, primaryRegionId: customerRouting.primaryRegionId, createdAt: customerRouting.createdAt })
    .from(customerRouting)
    .where(
      and(
        opts.regionId === undefined ? undefined : eq(customerRouting.primaryRegionId, opts.regionId),
        opts.after === undefined ? undefined : sql`${customerRouting.customerId} collate "C" > ${opts.after}`,
      ),
    )
    .orderBy(sql`${customerRouting.customerId} collate "C"`)
    .limit(opts.limit + 1);
  const items: RouteListItem[] = rows.slice(0, opts.limit).map((r) => ({ customer_id: r.customerId, primary_region: r.primaryRegionId, created_at: r.createdAt.toISOString() }));
  return { items, next_cursor: rows.length > opts.limit ? items[items.length - 1]!.customer_id : null };
}

export interface UnrouteDeps {
  db: GlobalDb;
  routing: LookupCache<string>;
  accessKeys: LookupCache<string>;
  publicBuckets: LookupCache<string>;
}

/**
 * Forgets a customer at the global layer: its access key ids, public bucket names and routing,
 * in one transaction, then in this instance's maps at once (other instances within one refresh
 * interval). Later requests for it are answered as for an unknown key or customer.
 */
export async function unrouteCustomer(deps: UnrouteDeps, customerId: string) {
  const removed = await deps.db.transaction(async (tx) => {
    const keys = await tx.delete(accessKeyRouting).where(eq(accessKeyRouting.customerId, customerId)).returning({ id: accessKeyRouting.accessKeyId });
    const names = await tx.delete(publicBucketRouting).where(eq(publicBucketRouting.customerId, customerId)).returning({ name: publicBucketRouting.bucketName });
    const route = await tx.delete(customerRouting).where(eq(customerRouting.customerId, customerId)).returning({ region: customerRouting.primaryRegionId });
    return { keys: keys.map((k) => k.id), names: names.map((n) => n.name), region: route[0]?.region };
  });
  forget(deps.accessKeys, customerId, removed.keys);
  forget(deps.publicBuckets, customerId, removed.names);
  deps.routing.delete(customerId);
  return { routed: removed.region !== undefined, primary_region: removed.region ?? null, access_keys_removed: removed.keys.length, public_buckets_removed: removed.names.length };
}

/** Drops the customer's entries: those the database named, and any the map holds for it (loaded before another instance's change). */
function forget(cache: LookupCache<string>, customerId: string, keys: string[]): void {
  for (const k of keys) cache.delete(k);
  for (const [k, owner] of cache.entries()) if (owner === customerId) cache.delete(k);
}
