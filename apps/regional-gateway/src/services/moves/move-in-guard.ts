import { apiError } from "@s3gw/core";
import { customerMoveIns, customers } from "@s3gw/schema-regional";
import { eq } from "drizzle-orm";
import type { Deps } from "../../env.ts";

/**
 * Every call after the snapshot is for a customer this region is receiving, from the region
 * that sends it: named in the signed body, checked against the move-in record. Anything else is
 * a 409 (another region's move, a finished one, a call meant for another target).
 */
export async function assertReceiving(deps: Pick<Deps, "db" | "config">, customerId: string, route: { from_region: string; to_region: string }): Promise<void> {
  const here = deps.config.region.region_id;
  if (route.to_region !== here) throw apiError.conflict(`this is region ${here}, not ${route.to_region}`);
  const [row] = await deps.db
    .select({ status: customers.status, from: customerMoveIns.fromRegion, moveIn: customerMoveIns.status })
    .from(customers)
    .leftJoin(customerMoveIns, eq(customerMoveIns.customerId, customers.customerId))
    .where(eq(customers.customerId, customerId))
    .limit(1);
  if (!row || row.from === null) throw apiError.conflict(`customer ${customerId} is not being moved into region ${here} (no snapshot was received)`);
  if (row.from !== route.from_region) throw apiError.conflict(`customer ${customerId} is being moved here from ${row.from}, not from ${route.from_region}`);
  if (row.status !== "moving_in") throw apiError.conflict(`customer ${customerId}'s move into region ${here} is finished (status ${row.status})`);
}
