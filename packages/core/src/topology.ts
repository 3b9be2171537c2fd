import { z } from "zod";
import { REGION_ID_RE } from "./naming.ts";
import { resolveCountry } from "./residency.ts";

const country = z
  .string()
  .transform((v, ctx) => {
    const c = resolveCountry(v);
    if (!c) {
      ctx.addIssue({ code: "custom", message: `unknown country ${v}` });
      return z.NEVER;
    }
    return c.code;
  });

export const providerSpecSchema = z.object({
  provider_id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
  type: z.enum(["fs", "s3"]),
  country,
  endpoint: z.string().url().optional(),
});

/**
 * A region is served by one gateway (`endpoint`) or several stateless ones (`endpoints`),
 * never both (a parsed document re-serialises unchanged); `regionEndpoints` gives the list.
 */
export const regionSpecSchema = z
  .object({
    region_id: z.string().regex(REGION_ID_RE),
    name: z.string().min(1),
    country,
    endpoint: z.string().url().optional(),
    endpoints: z.array(z.string().url()).max(64).optional(),
    provider: providerSpecSchema,
  })
  .superRefine((r, ctx) => {
    if (r.endpoint !== undefined && r.endpoints !== undefined) ctx.addIssue({ code: "custom", path: ["endpoints"], message: "give either endpoint or endpoints, not both" });
    else if (r.endpoint === undefined && r.endpoints === undefined) ctx.addIssue({ code: "custom", path: ["endpoint"], message: "endpoint (or endpoints) is required" });
    else if (r.endpoints !== undefined && r.endpoints.length === 0) ctx.addIssue({ code: "custom", path: ["endpoints"], message: "endpoints must list at least one URL" });
    else if (r.endpoints !== undefined && new Set(r.endpoints.map((e) => e.replace(/\/+$/, ""))).size !== r.endpoints.length) ctx.addIssue({ code: "custom", path: ["endpoints"], message: "endpoints must be distinct" });
  });

/**
 * The deployment's regions: which gateway serves each, where its bytes are stored. Both
 * layers read the same document; the global router publishes it as its registry.
 */
export const topologySchema = z
  .object({ regions: z.array(regionSpecSchema).min(1) })
  .refine((t) => new Set(t.regions.map((r) => r.region_id)).size === t.regions.length, "region ids must be unique");

export type ProviderSpec = z.infer<typeof providerSpecSchema>;
export type RegionSpec = z.infer<typeof regionSpecSchema>;
export type Topology = z.infer<typeof topologySchema>;

/** The gateways serving a region, in the topology's order (at least one; trailing slashes dropped). */
export function regionEndpoints(r: Pick<RegionSpec, "endpoint" | "endpoints">): string[] {
  return (r.endpoints ?? (r.endpoint !== undefined ? [r.endpoint] : [])).map((e) => e.replace(/\/+$/, ""));
}

export function parseTopology(json: string): Topology {
  return topologySchema.parse(JSON.parse(json));
}
