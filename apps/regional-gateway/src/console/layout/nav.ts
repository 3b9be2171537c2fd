import type { Role } from "@s3gw/core";

export type NavKey = "overview" | "customers" | "compliance" | "gdpr" | "holds" | "audit";

export interface NavItem { key: NavKey; label: string; href: string; roles: readonly Role[] }

const ALL: readonly Role[] = ["admin", "compliance_officer", "auditor"];

/**
 * The console's sections and who may use them, as the API decides: a link the role could only
 * get a 403 from is not shown. Today every role reads every section (READ_ROLES); what differs
 * is inside them (forms for the roles that may change things, the audit chain and export for
 * AUDIT_LOG_ROLES), which each section's pages decide.
 */
export const NAV: readonly NavItem[] = [
  { key: "overview", label: "Overview", href: "/console", roles: ALL },
  { key: "customers", label: "Customers", href: "/console/customers", roles: ALL },
  { key: "compliance", label: "Compliance", href: "/console/compliance", roles: ALL },
  { key: "gdpr", label: "GDPR", href: "/console/gdpr", roles: ALL },
  { key: "holds", label: "Holds", href: "/console/holds", roles: ALL },
  { key: "audit", label: "Audit", href: "/console/audit", roles: ALL },
];

export const navFor = (role: Role): NavItem[] => NAV.filter((i) => i.roles.includes(role));
