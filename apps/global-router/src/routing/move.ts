import { apiError } from "@s3gw/core";
import { customerRouting, routingLog } from "@s3gw/schema-global";
import { and, eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { GlobalDb } from "../db.ts";
import type { RegionDirectory } from "../regions.ts";
import type { RoutingCache } from "./cache.ts";

export interface RouteMoveDeps {
  db: GlobalDb;
  routing: RoutingCache;
  regions: RegionDirectory;
  clock: Clock;
}

/** The routing log's method for a move (its region is the target's): no request, a switch. */
export const MOVE_LOG_METHOD = "MOVE";

/**
 * Moves a customer's routing from its source region to the target, compare-and-set: only while
 * the customer is routed to `from`. Its access key ids and public bucket names name the customer,
 * not a region, so they follow in the same statement. One transaction with its routing-log row.
 * Already routed to `to` (a retried switch whose answer was lost) is answered as done, `switched: false`.
 */
export async function moveCustomerRoute(deps: RouteMoveDeps, input: { customerId: string; from: string; to: string }): Promise<{ switched: boolean }> {
  if (!deps.regions.get(input.to)) throw apiError.badRequest(`unknown region ${input.to}; known regions: ${deps.regions.ids().join(", ")}`);
  if (input.from === input.to) throw apiError.badRequest("from_region and to_region are the same region");
  const now = new Date(deps.clock.now());
  const outcome = await deps.db.transaction(async (tx) => {
    const moved = await tx
      .update(customerRouting)
      .set({ primaryRegionId: input.to, updatedAt: now })
      .where(and(eq(customerRouting.customerId, input.customerId), eq(customerRouting.primaryRegionId, input.from)))
      .returning({ id: customerRouting.customerId });
    if (moved.length === 1) {
      await tx.insert(routingLog).values({ customerId: input.customerId, regionId: input.to, method: MOVE_LOG_METHOD, statusCode: 200, durationMs: 0, createdAt: now });
      return "switched" as const;
    }
    const [current] = await tx.select({ region: customerRouting.primaryRegionId }).from(customerRouting).where(eq(customerRouting.customerId, input.customerId)).limit(1);
    return current?.region === input.to ? ("already" as const) : (current?.region ?? null);
  });
  if (outcome === "switched" || outcome === "already") {
    deps.routing.set(input.customerId, input.to);
    return { switched: outcome === "switched" };
  }
  if (outcome === null) throw apiError.notFound(`customer ${input.customerId} is not routed`);
  throw apiError.conflict(`customer ${input.customerId} is routed to ${outcome}, not to ${input.from}: only its current region may move it`);
}
