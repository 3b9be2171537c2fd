import { customerRouting } from "@s3gw/schema-global";
import { eq } from "drizzle-orm";
import type { GlobalDb } from "../db.ts";

export interface CustomerRoute {
  customerId: string;
  primaryRegionId: string;
}

/** The database side of routing; the cache and the routing API are its only callers. */
export interface RoutingStore {
  loadAll(): Promise<CustomerRoute[]>;
  find(customerId: string): Promise<CustomerRoute | undefined>;
  /** Returns false when the customer already has a route (nothing is changed then). */
  insert(route: CustomerRoute & { routingNotes: string | null }): Promise<boolean>;
}

const columns = { customerId: customerRouting.customerId, primaryRegionId: customerRouting.primaryRegionId };

export function createRoutingStore(db: GlobalDb): RoutingStore {
  return {
    loadAll: () => db.select(columns).from(customerRouting),
    async find(customerId) {
      const rows = await db.select(columns).from(customerRouting).where(eq(customerRouting.customerId, customerId)).limit(1);
      return rows[0];
    },
    async insert(route) {
      const rows = await db
        .insert(customerRouting)
        .values(route)
        .onConflictDoNothing({ target: customerRouting.customerId })
        .returning({ customerId: customerRouting.customerId });
      return rows.length === 1;
    },
  };
}
