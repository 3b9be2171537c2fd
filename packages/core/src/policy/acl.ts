import { s3Error } from "../errors.ts";
import { CUSTOMER_ID_RE } from "../naming.ts";

/**
 * ACLs within one customer. Every bucket and object is owned by its customer, who alone has
 * FULL_CONTROL (S3's BucketOwnerEnforced). The canned ACLs that say no more than that are
 * accepted; anything granting to another account, a group or the public is refused.
 */
export const ACCEPTED_CANNED_ACLS = ["private", "bucket-owner-read", "bucket-owner-full-control"] as const;
const GRANTING_CANNED_ACLS = new Set(["public-read", "public-read-write", "authenticated-read", "aws-exec-read", "log-delivery-write"]);
export const GRANT_HEADERS = ["x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"] as const;

export const TENANCY_REASON = "grants to other accounts or the public are not supported: tenancy is absolute";
const denied = (what: string) => s3Error("AccessDenied", `${what}: ${TENANCY_REASON}`);

/** The request's `x-amz-acl` and `x-amz-grant-*` headers: nothing that grants beyond the owner. */
export function assertAcceptableAcl(header: (name: string) => string | undefined): void {
  for (const name of GRANT_HEADERS) if (header(name) !== undefined) throw denied(`${name} is refused`);
  const acl = header("x-amz-acl");
  if (acl === undefined) return;
  if ((ACCEPTED_CANNED_ACLS as readonly string[]).includes(acl)) return;
  if (GRANTING_CANNED_ACLS.has(acl)) throw denied(`The canned ACL ${acl} is refused`);
  throw s3Error("InvalidArgument", `Unknown canned ACL: ${acl.slice(0, 64)}`);
}

/** `x-amz-object-ownership` at CreateBucket: only BucketOwnerEnforced, the only ownership there is here. */
export function assertObjectOwnership(value: string | undefined): void {
  if (value === undefined || value === "BucketOwnerEnforced") return;
  if (value === "ObjectWriter" || value === "BucketOwnerPreferred") throw denied(`Object ownership ${value} (which enables ACLs) is refused`);
  throw s3Error("InvalidArgument", `Invalid object ownership: ${value.slice(0, 64)}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const items = (v: unknown): unknown[] => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : [v]);

/**
 * A PutBucketAcl/PutObjectAcl `AccessControlPolicy` (parsed XML): the owner, if named, is the
 * customer, and every grant is FULL_CONTROL to the customer (a CanonicalUser with its id).
 * Grants by group URI or e-mail, to another id, or of any other permission are refused.
 */
export function assertOwnerOnlyAccessControlPolicy(doc: Record<string, unknown>, customerId: string): void {
  const root = doc.AccessControlPolicy;
  if (!isRecord(root)) throw s3Error("MalformedACLError");
  if (root.Owner !== undefined) {
    const id = isRecord(root.Owner) ? root.Owner.ID : undefined;
    if (id !== customerId) throw denied("The owner of a bucket or object cannot be changed");
  }
  const list = root.AccessControlList;
  if (list !== undefined && list !== "" && !isRecord(list)) throw s3Error("MalformedACLError");
  const grants = items(isRecord(list) ? list.Grant : undefined);
  if (grants.length === 0) throw s3Error("MalformedACLError", "The ACL must grant FULL_CONTROL to the owner");
  for (const grant of grants) {
    if (!isRecord(grant) || !isRecord(grant.Grantee)) throw s3Error("MalformedACLError");
    const grantee = grant.Grantee;
    if (grantee.URI !== undefined) throw denied(`A grant to the group ${String(grantee.URI).slice(0, 128)} is refused`);
    // No e-mail address names an account here; saying so reveals nothing about other customers.
    if (grantee.EmailAddress !== undefined) throw s3Error("UnresolvableGrantByEmailAddress", `Grants by e-mail address cannot be resolved: ${TENANCY_REASON}`);
    if (typeof grantee.ID !== "string" || !CUSTOMER_ID_RE.test(grantee.ID)) throw s3Error("InvalidArgument", "Invalid id");
    if (grantee.ID !== customerId) throw denied(`A grant to ${grantee.ID} is refused`);
    if (grant.Permission !== "FULL_CONTROL") throw denied(`A ${String(grant.Permission ?? "missing").slice(0, 32)} grant is refused; the owner always has FULL_CONTROL and nobody else has anything`);
  }
}
