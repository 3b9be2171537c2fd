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
  /**
   * active, suspended (S3 writes refused, reads per suspended_reads) or offboarded (a tombstone);
   * in a region move (customer_moves): moving_out at the source (writes fenced, reads per
   * suspended_reads), moving_in at the target (no writes; reads per suspended_reads once the
   * copy is verified), moved at the source afterwards (a tombstone naming moved_to_region).
   */
  status: text("status").$type<"active" | "suspended" | "offboarded" | "moving_out" | "moving_in" | "moved">().notNull().default("active"),
  suspendedReason: text("suspended_reason"),
  /** While suspended: whether S3 reads are still served. */
  suspendedReads: text("suspended_reads").$type<"allowed" | "refused">(),
  suspendedAt: timestamp("suspended_at", { withTimezone: true }),
  /** Where a moved customer went (status moved), so a request that still reaches this region is told. */
  movedToRegion: text("moved_to_region"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
