/**
 * Management roles. admin: everything. compliance_officer: compliance, GDPR, holds, rules,
 * never object writes. auditor: read-only compliance and audit.
 */
export const ROLES = ["admin", "compliance_officer", "auditor"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  kind: "token";
  tokenId: string;
  name: string;
  role: Role;
  /** Set when the token may only see one customer's data. */
  customerId: string | null;
}

export const READ_ROLES: readonly Role[] = ["admin", "compliance_officer", "auditor"];
export const COMPLIANCE_ROLES: readonly Role[] = ["admin", "compliance_officer"];
export const ADMIN_ONLY: readonly Role[] = ["admin"];

export function describePrincipal(p: Principal): string {
  return `token:${p.tokenId}(${p.role}${p.customerId ? `@${p.customerId}` : ""})`;
}
