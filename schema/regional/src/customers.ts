import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const customers = pgTable("customers", {
  customerId: text("customer_id").primaryKey(),
  customerName: text("customer_name").notNull(),
  regionId: text("region_id").notNull(),
  country: text("country").notNull(),
  legalZone: text("legal_zone").notNull(),
  dataResidencyRequirement: text("data_residency_requirement").$type<"strict" | "jurisdiction" | "flexible">().notNull(),
  complianceRequirements: jsonb("compliance_requirements").$type<string[]>().notNull().default([]),
  primaryContactEmail: text("primary_contact_email").notNull(),
  complianceOfficerEmail: text("compliance_officer_email").notNull(),
  legalBasis: text("legal_basis"),
  /** active, suspended (S3 writes refused, reads per suspended_reads) or offboarded (a tombstone). */
  status: text("status").$type<"active" | "suspended" | "offboarded">().notNull().default("active"),
  suspendedReason: text("suspended_reason"),
  /** While suspended: whether S3 reads are still served. */
  suspendedReads: text("suspended_reads").$type<"allowed" | "refused">(),
  suspendedAt: timestamp("suspended_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
