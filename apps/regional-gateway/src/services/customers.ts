import { count, eq, sum } from "drizzle-orm";
import { apiError, legalZoneOf, RESIDENCY_REQUIREMENTS, resolveCountry } from "@s3gw/core";
import { buckets, customers, objectMetadata } from "@s3gw/schema-regional";
import { z } from "zod";
import type { RegionalDb } from "../env.ts";

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

export async function findCustomer(db: RegionalDb, customerId: string): Promise<Customer | undefined> {
  const [row] = await db.select().from(customers).where(eq(customers.customerId, customerId)).limit(1);
  return row;
}

export async function registerCustomer(
  db: RegionalDb,
  regionId: string,
  customerId: string,
  body: z.infer<typeof registrationSchema>,
): Promise<Customer> {
  const country = resolveCountry(body.country);
  if (!country) throw apiError.badRequest(`unknown country: ${body.country}`);
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
