import { z } from "zod";

/** Response bodies of the global router's JSON API, matching what its routes answer. */
const iso = z.iso.datetime({ offset: true });

const endpointHealth = z.looseObject({ status: z.string() });
export const healthSchema = z.strictObject({
  status: z.enum(["healthy", "degraded"]),
  service: z.literal("global-router"),
  database: z.enum(["ok", "down"]),
  regions: z.array(z.looseObject({ region_id: z.string(), endpoints: z.array(endpointHealth) })),
  circuits: z.array(z.looseObject({ endpoints: z.array(z.looseObject({ state: z.string() })) })),
  routing_cache: z.looseObject({}),
});
export const regionsSchema = z.strictObject({
  regions: z.array(z.looseObject({ region_id: z.string(), name: z.string(), country: z.string(), legal_zone: z.string(), status: z.string() })),
  count: z.number().int(),
});
export const providersSchema = z.strictObject({
  providers: z.array(z.looseObject({ provider_id: z.string(), provider_type: z.string(), region_id: z.string(), country: z.string(), legal_zone: z.string(), endpoint: z.string().nullable(), status: z.string() })),
  count: z.number().int(),
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
  access_keys_removed: z.number().int(),
  public_buckets_removed: z.number().int(),
});
export const dashboardSchema = z.looseObject({});
