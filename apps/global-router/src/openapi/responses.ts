import { windowSummarySchema } from "@s3gw/openapi";
import { z } from "zod";

/**
 * Response bodies of the global router's JSON API, matching what its routes answer. Every
 * object is exact: a field the route does not give fails openapi-responses.test.ts.
 */
const iso = z.iso.datetime({ offset: true });
const int = z.number().int();
const upDown = z.enum(["up", "down"]);
const circuitState = z.enum(["closed", "open"]);

/** A region's reachability: `up` while at least one of its gateways answers its probe. */
const regionStatusFields = {
  region_id: z.string(),
  /** The region's first gateway. */
  endpoint: z.string(),
  status: upDown,
  /** Each gateway's probe answer, in topology order. */
  endpoints: z.array(z.strictObject({ endpoint: z.string(), status: upDown })),
};
const endpointCircuitSchema = z.strictObject({ endpoint: z.string(), state: circuitState, consecutive_failures: int, opened_at: iso.nullable(), in_flight: int });
const lookupCacheSchema = z.strictObject({ entries: int, hits: int, misses: int });

export const healthSchema = z.strictObject({
  status: z.enum(["healthy", "degraded"]),
  service: z.literal("global-router"),
  database: z.enum(["ok", "down"]),
  regions: z.array(z.strictObject(regionStatusFields)),
  circuits: z.array(z.strictObject({ region_id: z.string(), state: circuitState, consecutive_failures: int, opened_at: iso.nullable(), endpoints: z.array(endpointCircuitSchema) })),
  routing_cache: lookupCacheSchema,
});

export const regionsSchema = z.strictObject({
  regions: z.array(z.strictObject({
    region_id: z.string(),
    name: z.string(),
    country: z.string(),
    legal_zone: z.string(),
    /** The region's first gateway, as published in the registry. */
    gateway_endpoint: z.string(),
    status: z.string(),
    /** Every gateway of the region the router forwards to, in topology order, with its last probe and its circuit. */
    endpoints: z.array(z.strictObject({
      endpoint: z.string(),
      health: upDown,
      circuit: z.strictObject({ state: circuitState, consecutive_failures: int, opened_at: iso.nullable(), in_flight: int }),
    })),
  })),
  count: int,
});
export const providersSchema = z.strictObject({
  providers: z.array(z.strictObject({ provider_id: z.string(), provider_type: z.string(), region_id: z.string(), country: z.string(), legal_zone: z.string(), endpoint: z.string().nullable(), status: z.string() })),
  count: int,
});
export const routedSchema = z.strictObject({ customer_id: z.string(), primary_region: z.string(), regional_endpoint: z.string(), note: z.string() });
export const routeViewSchema = z.strictObject({
  customer_id: z.string(),
  primary_region: z.string(),
  regional_endpoint: z.string().nullable(),
  available_regions: z.array(z.string()),
  note: z.string(),
});
export const routeListSchema = z.strictObject({
  items: z.array(z.strictObject({ customer_id: z.string(), primary_region: z.string(), created_at: iso })),
  next_cursor: z.string().nullable(),
});
export const unroutedSchema = z.strictObject({
  customer_id: z.string(),
  routed: z.boolean(),
  primary_region: z.string().nullable(),
  access_keys_removed: int,
  public_buckets_removed: int,
});
const traffic = z.strictObject({ last_5m: windowSummarySchema, last_60m: windowSummarySchema });
export const dashboardSchema = z.strictObject({
  service: z.literal("global-router"),
  generated_at: iso,
  database: z.enum(["ok", "down"]),
  regions: z.array(z.strictObject({ ...regionStatusFields, last_5m: windowSummarySchema, last_60m: windowSummarySchema })),
  /** All routed requests together. */
  totals: traffic,
  /** Requests the router answered itself before any region was chosen. */
  unrouted: traffic,
  routing_cache: lookupCacheSchema.extend({ hit_rate: z.number().nullable() }),
  routing_log: z.strictObject({ buffered: int, written: int, dropped: int, spooled: int }),
});
