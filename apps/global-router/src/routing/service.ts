import { apiError, unstorableTextReason } from "@s3gw/core";
import type { RegionDirectory, RegionInfo } from "../regions.ts";
import type { RoutingCache } from "./cache.ts";
import type { RoutingStore } from "./store.ts";

export interface RoutingServiceDeps {
  store: RoutingStore;
  cache: RoutingCache;
  regions: RegionDirectory;
}

export const ROUTING_NOTE = "Detailed compliance data is stored in regional database";
export const REGISTERED_NOTE =
  "Routing registered. Register the customer's profile and compliance requirements with its regional gateway; the global router keeps only this assignment.";

export interface CustomerRouteView {
  customer_id: string;
  primary_region: string;
  /** null only for a route to a region that has since left the topology. */
  regional_endpoint: string | null;
  available_regions: string[];
  note: string;
}

/** Assigns a customer its home region. The region must be one this router can forward to. */
export async function registerCustomer(
  deps: RoutingServiceDeps,
  input: { customerId: string; regionId: string; routingNotes: string | null },
): Promise<{ customer_id: string; primary_region: string; regional_endpoint: string; note: string }> {
  const region = deps.regions.get(input.regionId);
  if (!region) throw apiError.badRequest(`unknown region ${input.regionId}; known regions: ${deps.regions.ids().join(", ")}`);
  const created = await deps.store.insert({ customerId: input.customerId, primaryRegionId: region.regionId, routingNotes: input.routingNotes });
  if (!created) throw apiError.conflict(`customer ${input.customerId} is already routed`);
  deps.cache.set(input.customerId, region.regionId);
  return { customer_id: input.customerId, primary_region: region.regionId, regional_endpoint: region.endpoint, note: REGISTERED_NOTE };
}

/** The seed's minimal routing view: where requests go, nothing about the customer itself. */
export async function describeCustomerRoute(deps: RoutingServiceDeps, customerId: string): Promise<CustomerRouteView> {
  const route = await deps.store.find(customerId);
  if (!route) throw apiError.notFound(`customer ${customerId} is not routed`);
  const region: RegionInfo | undefined = deps.regions.get(route.primaryRegionId);
  return {
    customer_id: route.customerId,
    primary_region: route.primaryRegionId,
    regional_endpoint: region?.endpoint ?? null,
    available_regions: deps.regions.ids(),
    note: ROUTING_NOTE,
  };
}

const EMAIL_RE = /[^\s@]+@[^\s@]+\.[^\s@]+/;
const PHONE_RE = /\+?\d[\d ().-]{7,}\d/;

/** The global layer must not hold personal data, so notes that look like contact details are refused. */
export function routingNotesProblem(notes: string): string | undefined {
  const unstorable = unstorableTextReason(notes);
  if (unstorable) return `routing_notes ${unstorable}`;
  if (EMAIL_RE.test(notes)) return "routing_notes must not contain e-mail addresses";
  if (PHONE_RE.test(notes)) return "routing_notes must not contain phone numbers";
  return undefined;
}
