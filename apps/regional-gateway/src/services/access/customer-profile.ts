import { apiError, legalZoneOf, resolveCountry, type RegionSpec } from "@s3gw/core";
import { customers } from "@s3gw/schema-regional";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { findHomedCustomer, registrationProblem, registrationSchema, type Customer } from "./customers.ts";

/** What a region move changes, never a PATCH: named so the refusal says where to go instead. */
const MOVE_FIELDS = ["data_residency_requirement", "region", "region_id", "home_region", "primary_region"] as const;

const base = registrationSchema.shape;
/** The profile fields a PATCH may change (those registration takes, minus the residency requirement). */
export const profilePatchSchema = z
  .strictObject({
    customer_name: base.customer_name.optional(),
    country: base.country.optional(),
    compliance_requirements: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
    primary_contact_email: base.primary_contact_email.optional(),
    compliance_officer_email: base.compliance_officer_email.optional(),
    legal_basis: z.string().trim().max(500).nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "name at least one field to change" });

export type ProfilePatch = z.infer<typeof profilePatchSchema>;

/** Refuses, before validation, a body that tries to change what only a region move may change. */
export function assertNoMoveFields(body: unknown): void {
  if (!body || typeof body !== "object" || Array.isArray(body)) return;
  const named = MOVE_FIELDS.filter((f) => Object.hasOwn(body, f));
  if (named.length > 0) {
    throw apiError.badRequest(`${named.join(", ")} cannot be changed by PATCH: changing a customer's residency or home region is a region move`);
  }
}

const COLUMN: Record<keyof ProfilePatch, keyof Customer> = {
  customer_name: "customerName",
  country: "country",
  compliance_requirements: "complianceRequirements",
  primary_contact_email: "primaryContactEmail",
  compliance_officer_email: "complianceOfficerEmail",
  legal_basis: "legalBasis",
};

/**
 * Applies a profile change and returns the row and the names of the fields whose value really
 * changed (for the audit row: names only, never values). A new country must stay coherent with
 * the residency requirement and this region, as at registration. An offboarded customer is a tombstone.
 */
export async function patchCustomerProfile(
  deps: Pick<Deps, "db" | "config" | "clock">,
  customerId: string,
  patch: ProfilePatch,
): Promise<{ customer: Customer; changed: string[] }> {
  const current = await findHomedCustomer(deps, customerId);
  if (current.status === "offboarded") throw apiError.conflict(`customer ${customerId} is offboarded; its profile is a tombstone`);
  // The target got the profile as it was when the move started; a change now would be lost.
  if (current.status === "moving_out" || current.status === "moving_in" || current.status === "moved") throw apiError.conflict(`customer ${customerId} is ${current.status.replace("_", " ")} (a region move); its profile cannot change now`);
  const next: Partial<Customer> = {};
  if (patch.country !== undefined) {
    const problem = countryProblem(deps.config.region, current, patch.country);
    if (problem) throw apiError.badRequest(problem);
    const country = resolveCountry(patch.country)!;
    next.country = country.code;
    next.legalZone = legalZoneOf(country.code);
  }
  for (const [field, column] of Object.entries(COLUMN) as [keyof ProfilePatch, keyof Customer][]) {
    if (field === "country" || patch[field] === undefined) continue;
    (next as Record<string, unknown>)[column] = patch[field];
  }
  const changed = (Object.keys(COLUMN) as (keyof ProfilePatch)[]).filter(
    (f) => next[COLUMN[f]] !== undefined && JSON.stringify(next[COLUMN[f]]) !== JSON.stringify(current[COLUMN[f]]),
  );
  if (changed.length === 0) return { customer: current, changed };
  const [row] = await deps.db
    .update(customers)
    .set({ ...next, updatedAt: deps.clock.now() })
    .where(eq(customers.customerId, customerId))
    .returning();
  return { customer: row!, changed };
}

function countryProblem(region: RegionSpec, current: Customer, country: string): string | undefined {
  return registrationProblem(region, {
    customer_name: current.customerName,
    country,
    data_residency_requirement: current.dataResidencyRequirement,
    compliance_requirements: current.complianceRequirements,
    primary_contact_email: current.primaryContactEmail,
    compliance_officer_email: current.complianceOfficerEmail,
  });
}
