import { apiError, COMPLIANCE_ROLES, CUSTOMER_ID_RE, READ_ROLES } from "@s3gw/core";
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { findCustomer } from "../../services/access/customers.ts";
import { deleteBucketPolicy, getBucketPolicy } from "../../services/access/bucket-policy.ts";
import { findBucket, type Bucket } from "../../services/objects/buckets.ts";

async function bucketOf(c: Context<AppEnv>): Promise<Bucket> {
  const raw = c.req.param("id") ?? "";
  if (!CUSTOMER_ID_RE.test(raw)) throw apiError.badRequest("customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
  const id = scopeCustomer(c, raw)!;
  c.var.op.customerId = id;
  c.var.op.bucket = c.req.param("bucket") ?? "";
  if (!(await findCustomer(c.var.deps.db, id))) throw apiError.notFound(`customer ${id} is not registered in region ${c.var.deps.config.region.region_id}`);
  return findBucket(c.var.deps, id, c.req.param("bucket") ?? "");
}

/**
 * A bucket policy seen and removed by the operator: the way back for a customer whose own keys
 * a policy denies s3:DeleteBucketPolicy (S3 keeps the account root for that; here it is an
 * admin, or a compliance officer scoped to the customer). Audited like the S3 operation.
 */
export function bucketPolicyAdminRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/:id/buckets/:bucket/policy", operation("GetBucketPolicyAdmin"), requireRole(...READ_ROLES), async (c) => {
    const doc = await getBucketPolicy(c.var.deps, await bucketOf(c));
    if (!doc) throw apiError.notFound("the bucket has no policy");
    return c.json(doc);
  });

  r.delete("/:id/buckets/:bucket/policy", operation("DeleteBucketPolicyAdmin"), requireRole(...COMPLIANCE_ROLES), async (c) => {
    const p = c.var.principal;
    if (p.role !== "admin" && !p.customerId) throw apiError.forbidden("a region-wide compliance_officer token may not remove a customer's bucket policy; use an admin token or a token scoped to the customer");
    const removed = await deleteBucketPolicy(c.var.deps, await bucketOf(c));
    c.var.op.info = { removed };
    return c.body(null, 204);
  });

  return r;
}
