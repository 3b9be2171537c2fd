import { complianceRules } from "@s3gw/schema-regional";
import { and, eq, sql } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { rulesFor } from "./rules.ts";

/**
 * Whose bucket an anonymous read names, decided by this region's own rules alone: the customer
 * whose public_read_buckets rule lists it. The global router's routed customer (from a valid
 * forwarding proof) is only a hint, checked against that customer's rule like any claim. With
 * no hint, the rule rows are asked; none, or more than one customer (never written by
 * saveRules), is no public bucket.
 */
export async function publicBucketOwner(deps: Pick<Deps, "db" | "cache">, bucket: string, routedCustomerId: string | undefined): Promise<string | undefined> {
  let candidate = routedCustomerId;
  if (candidate === undefined) {
    const rows = await deps.db
      .select({ customerId: complianceRules.customerId })
      .from(complianceRules)
      .where(and(eq(complianceRules.ruleType, "public_read_buckets"), eq(complianceRules.enabled, true), sql`${complianceRules.ruleConfig}->'buckets' @> ${JSON.stringify([bucket])}::jsonb`))
      .limit(2);
    if (rows.length !== 1) return undefined;
    candidate = rows[0]!.customerId;
  }
  return (await rulesFor(deps, candidate)).publicReadBuckets.includes(bucket) ? candidate : undefined;
}

/** Whether the customer's rule opens this bucket to anonymous reads. */
export async function isPublicReadBucket(deps: Pick<Deps, "db" | "cache">, customerId: string, bucket: string): Promise<boolean> {
  return (await rulesFor(deps, customerId)).publicReadBuckets.includes(bucket);
}
