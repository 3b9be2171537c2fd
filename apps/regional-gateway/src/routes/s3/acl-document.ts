import { assertAcceptableAcl, assertOwnerOnlyAccessControlPolicy, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { declaredBodySize } from "./body.ts";
import { readXmlDocument } from "./xml-body.ts";

/**
 * The one ACL every bucket and object has: its customer owns it with FULL_CONTROL (S3's
 * BucketOwnerEnforced). Shared by GetBucketAcl and GetObjectAcl.
 */
export function ownerOnlyAcl(customerId: string): Record<string, unknown> {
  const owner = { ID: customerId, DisplayName: customerId };
  return {
    AccessControlPolicy: {
      "@_xmlns": S3_XMLNS,
      Owner: owner,
      AccessControlList: {
        Grant: [{ Grantee: { "@_xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "@_xsi:type": "CanonicalUser", ...owner }, Permission: "FULL_CONTROL" }],
      },
    },
  };
}

function hasBody(c: Context<AppEnv>): boolean {
  const size = declaredBodySize(c);
  return size === undefined ? c.req.header("transfer-encoding") !== undefined : size > 0;
}

/**
 * A PutBucketAcl/PutObjectAcl request, in either form: a canned ACL header or an
 * AccessControlPolicy body, never both. Either may only restate the owner's FULL_CONTROL.
 * Nothing is stored: the ACL it asks for is the one there is. Returns what the audit row names.
 */
export async function readOwnerOnlyAcl(c: Context<AppEnv>): Promise<string> {
  const canned = c.req.header("x-amz-acl");
  assertAcceptableAcl((name) => c.req.header(name));
  const body = hasBody(c);
  if (canned !== undefined && body) throw s3Error("InvalidRequest", "Specify either x-amz-acl or an AccessControlPolicy body, not both");
  if (canned !== undefined) return canned;
  if (!body) throw s3Error("MalformedACLError", "Specify x-amz-acl or an AccessControlPolicy body");
  assertOwnerOnlyAccessControlPolicy(await readXmlDocument(c), c.var.customer.customerId);
  return "AccessControlPolicy";
}
