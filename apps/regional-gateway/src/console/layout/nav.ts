import type { Role } from "@s3gw/core";

export type NavKey = "overview" | "customers" | "compliance" | "gdpr" | "holds" | "audit";

export interface NavItem { key: NavKey; label: string; href: string; roles: readonly Role[] }

const ALL: readonly Role[] = ["admin", "compliance_officer", "auditor"];

/**
 * The console's sections and who may use them, as the API decides (a link the role could only
 * get a 403 from is not shown). The audit log, its verification and its export are for admins
 * and auditors (AUDIT_LOG_ROLES); compliance officers work on alerts, GDPR and holds.
 */
export const NAV: readonly NavItem[] = [
  { key: "overview", label: "Overview", href: "/console", roles: ALL },
  { key: "customers", label: "Customers", href: "/console/customers", roles: ALL },
  { key: "compliance", label: "Compliance", href: "/console/compliance", roles: ALL },
  { key: "gdpr", label: "GDPR", href: "/console/gdpr", roles: ALL },
  { key: "holds", label: "Holds", href: "/console/holds", roles: ALL },
  { key: "audit", label: "Audit", href: "/console/audit", roles: ["admin", "auditor"] },
];

export const navFor = (role: Role): NavItem[] => NAV.filter((i) => i.roles.includes(role));
