import { apiError } from "@s3gw/core";
import { accessKeyRouting, customerRouting, publicBucketRouting, routingLog } from "@s3gw/schema-global";
import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
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
  clock: Clock;
}

/** The routing log's method for an unroute (its region: the calling region, or the customer's for an admin). */
export const UNROUTE_LOG_METHOD = "UNROUTE";

export interface UnrouteResult {
  routed: boolean;
  primary_region: string | null;
  access_keys_removed: number;
  public_buckets_removed: number;
}

/**
 * Forgets a customer at the global layer: its access key ids, public bucket names and routing,
 * in one transaction with its routing-log row, then in this instance's maps at once (other
 * instances when they hear of it). Later requests for it are answered as for an unknown key or
 * customer. `caller`, a region, may unroute only a customer routed to itself: another region's
 * is refused (403) and the refusal is logged, committed before the answer.
 */
export async function unrouteCustomer(deps: UnrouteDeps, customerId: string, caller?: string): Promise<UnrouteResult> {
  const now = new Date(deps.clock.now());
  const outcome = await deps.db.transaction(async (tx) => {
    const [route] = await tx.select({ region: customerRouting.primaryRegionId }).from(customerRouting).where(eq(customerRouting.customerId, customerId)).for("update").limit(1);
    if (caller !== undefined && route && route.region !== caller) {
      await tx.insert(routingLog).values({ customerId, regionId: caller, method: UNROUTE_LOG_METHOD, statusCode: 403, durationMs: 0, createdAt: now });
      return { refused: route.region } as const;
    }
    const keys = await tx.delete(accessKeyRouting).where(eq(accessKeyRouting.customerId, customerId)).returning({ id: accessKeyRouting.accessKeyId });
    const names = await tx.delete(publicBucketRouting).where(eq(publicBucketRouting.customerId, customerId)).returning({ name: publicBucketRouting.bucketName });
    await tx.delete(customerRouting).where(eq(customerRouting.customerId, customerId));
    if (route) await tx.insert(routingLog).values({ customerId, regionId: caller ?? route.region, method: UNROUTE_LOG_METHOD, statusCode: 200, durationMs: 0, createdAt: now });
    return { keys: keys.map((k) => k.id), names: names.map((n) => n.name), region: route?.region } as const;
  });
  if ("refused" in outcome) throw apiError.forbidden(`customer ${customerId} is routed to another region; only its home region may unroute it`);
  forget(deps.accessKeys, customerId, outcome.keys);
  forget(deps.publicBuckets, customerId, outcome.names);
  deps.routing.delete(customerId);
  return { routed: outcome.region !== undefined, primary_region: outcome.region ?? null, access_keys_removed: outcome.keys.length, public_buckets_removed: outcome.names.length };
}

/** Drops the customer's entries: those the database named, and any the map holds for it (loaded before another instance's change). */
function forget(cache: LookupCache<string>, customerId: string, keys: string[]): void {
  for (const k of keys) cache.delete(k);
  for (const [k, owner] of cache.entries()) if (owner === customerId) cache.delete(k);
}
