import { count, eq, sum } from "drizzle-orm";
import { apiError, legalZoneOf, RESIDENCY_REQUIREMENTS, resolveCountry, type RegionSpec } from "@s3gw/core";
import { buckets, customers, objectMetadata } from "@s3gw/schema-regional";
import { z } from "zod";
import type { Deps, RegionalDb } from "../../env.ts";
import { lookupRouterHome } from "./home-region.ts";
import { dbAndCache, type DbOrDeps } from "../cache/cache-deps.ts";

export type Customer = typeof customers.$inferSelect;

export const registrationSchema = z.strictObject({
  customer_name: z.string().trim().min(1).max(200),
  country: z.string().trim().min(2).max(60),
  data_residency_requirement: z.enum(RESIDENCY_REQUIREMENTS),
  compliance_requirements: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
  primary_contact_email: z.string().trim().email().max(254),
  compliance_officer_email: z.string().trim().email().max(254),
  legal_basis: z.string().trim().max(500).optional(),
});

/** The customer, homed in this region; a 404 when absent or homed elsewhere (not this region's to act for). */
export async function findHomedCustomer(deps: Pick<Deps, "db" | "config">, customerId: string): Promise<Customer> {
  const customer = await findCustomer(deps.db, customerId);
  if (!customer || customer.regionId !== deps.config.region.region_id) {
    throw apiError.notFound(`customer ${customerId} is not registered in region ${deps.config.region.region_id}`);
  }
  return customer;
}

/**
 * The customer's profile. Given deps carrying the instance's cache (the S3 hot path), a found
 * profile is reused until a change to its row is notified, or CACHE_TTL_MS at most.
 */
export async function findCustomer(from: DbOrDeps, customerId: string): Promise<Customer | undefined> {
  const { db, cache } = dbAndCache(from);
  const load = async () => {
    const [row] = await db.select().from(customers).where(eq(customers.customerId, customerId)).limit(1);
    return row && Object.freeze(row);
  };
  return cache ? cache.customers.get(customerId, load) : load();
}

export type Registration = z.infer<typeof registrationSchema>;

/**
 * A profile this region can honour: a strict customer lives in the home region's country, a
 * jurisdiction customer in its legal zone. Anything else would be a residency violation on
 * every write, so it is refused at the door, naming the mismatch.
 */
export function registrationProblem(region: RegionSpec, body: Registration): string | undefined {
  const country = resolveCountry(body.country);
  if (!country) return `unknown country: ${body.country}`;
  const regionZone = legalZoneOf(region.country);
  if (body.data_residency_requirement === "strict" && country.code !== region.country) {
    return `country mismatch: a strict customer's country (${country.code}) must be the home region's country; ${region.region_id} is in ${region.country}`;
  }
  if (body.data_residency_requirement === "jurisdiction" && country.zone !== regionZone) {
    return `legal zone mismatch: a jurisdiction customer's legal zone (${country.zone}, from ${country.code}) must be the home region's; ${region.region_id} is in ${regionZone} (${region.country})`;
  }
  return undefined;
}

export async function registerCustomer(db: RegionalDb, region: RegionSpec, customerId: string, body: Registration): Promise<Customer> {
  const regionId = region.region_id;
  const problem = registrationProblem(region, body);
  if (problem) throw apiError.badRequest(problem);
  const country = resolveCountry(body.country)!;
  const rows = await db
    .insert(customers)
    .values({
      customerId,
      customerName: body.customer_name,
      regionId,
      country: country.code,
      legalZone: legalZoneOf(country.code),
      dataResidencyRequirement: body.data_residency_requirement,
      complianceRequirements: body.compliance_requirements,
      primaryContactEmail: body.primary_contact_email,
      complianceOfficerEmail: body.compliance_officer_email,
      legalBasis: body.legal_basis ?? null,
    })
    .onConflictDoNothing()
    .returning();
  const created = rows[0];
  if (!created) throw apiError.conflict(`customer ${customerId} is already registered in ${regionId}`);
  return created;
}

export async function customerUsage(db: RegionalDb, customerId: string) {
  const [b] = await db.select({ n: count() }).from(buckets).where(eq(buckets.customerId, customerId));
  const [o] = await db
    .select({ n: count(), bytes: sum(objectMetadata.sizeBytes) })
    .from(objectMetadata)
    .where(eq(objectMetadata.customerId, customerId));
  return { buckets: b?.n ?? 0, objects: o?.n ?? 0, bytes: Number(o?.bytes ?? 0) };
}

export function customerView(c: Customer) {
  return {
    customer_id: c.customerId,
    customer_name: c.customerName,
    region: c.regionId,
    country: c.country,
    legal_zone: c.legalZone,
    data_residency_requirement: c.dataResidencyRequirement,
    compliance_requirements: c.complianceRequirements,
    primary_contact_email: c.primaryContactEmail,
    compliance_officer_email: c.complianceOfficerEmail,
    legal_basis: c.legalBasis,
    status: c.status,
    created_at: c.createdAt.toISOString(),
  };
}

export type UnservedReason = "not_registered" | "homed_elsewhere" | "not_routed" | "not_homed";

/**
 * Why this region does not serve a customer on the S3 API (the customer is not registered
 * here, or not active here), for a denial that says what is wrong. `routedHere` is true when
 * the global router proved it routed the request to this region for this customer: then the
 * profile is simply missing. Otherwise the router is asked; if it cannot be, the answer stays generic.
 */
export async function unservedCustomerReason(
  deps: Pick<Deps, "config" | "clock" | "logger">,
  customerId: string,
  opts: { routedHere: boolean },
): Promise<{ reason: UnservedReason; message: string }> {
  const regionId = deps.config.region.region_id;
  const notRegistered = {
    reason: "not_registered" as const,
    message: `Customer ${customerId} is routed to region ${regionId} but not registered there: register its profile (POST /api/customers/${customerId}/register)`,
  };
  if (opts.routedHere) return notRegistered;
  try {
    const home = await lookupRouterHome(deps, customerId);
    if (home?.routed && home.primaryRegion === regionId) return notRegistered;
    // Where another region's customer lives is the router's to tell, not an S3 error's.
    if (home?.routed) return { reason: "homed_elsewhere", message: `Customer ${customerId} is not homed in region ${regionId}` };
    if (home && !home.routed) return { reason: "not_routed", message: `Customer ${customerId} is not routed by the global router and not registered in region ${regionId}` };
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, "could not ask the global router why a customer is not served");
  }
  return { reason: "not_homed", message: `Customer ${customerId} is not homed in region ${regionId}` };
}
