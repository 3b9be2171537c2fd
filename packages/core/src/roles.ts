/**
 * Management roles, with separated duties:
 * - admin: everything, and the only role that grants write access (read-write access keys,
 *   upload URLs, GOVERNANCE bypass).
 * - compliance_officer: compliance, GDPR, holds, rules; never writes objects, so it may create
 *   only read-only access keys (for its own customer).
 * - auditor: reads compliance and audit records; no content-bearing exports (GDPR subject
 *   data), no verifications that change object state.
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
/** Who may create credentials or URLs that write objects, or bypass GOVERNANCE retention. */
export const WRITE_GRANTING_ROLES: readonly Role[] = ADMIN_ONLY;

export const mayGrantWrites = (p: Pick<Principal, "role">): boolean => WRITE_GRANTING_ROLES.includes(p.role);

export function describePrincipal(p: Principal): string {
  return `token:${p.tokenId}(${p.role}${p.customerId ? `@${p.customerId}` : ""})`;
}
