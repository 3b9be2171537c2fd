import { and, asc, eq, gt, sql } from "drizzle-orm";
import { buckets } from "@s3gw/schema-regional";
import type { RegionalDb } from "../../env.ts";
import type { Bucket } from "./buckets.ts";

export interface BucketPage { buckets: Bucket[]; truncated: boolean }

/**
 * One page of the customer's buckets in name order: those starting with `prefix`, after
 * `after` (the last name of the previous page), at most `limit`. Only ever the customer's own:
 * a continuation position is a name to seek past, never a way into another customer's list.
 */
export async function listBucketPage(db: RegionalDb, customerId: string, q: { prefix: string; after: string | undefined; limit: number }): Promise<BucketPage> {
  const conds = [eq(buckets.customerId, customerId)];
  if (q.prefix !== "") conds.push(sql`starts_with(${buckets.bucketName}, ${q.prefix})`);
  if (q.after !== undefined) conds.push(gt(buckets.bucketName, q.after));
  const rows = await db.select().from(buckets).where(and(...conds)).orderBy(asc(buckets.bucketName)).limit(q.limit + 1);
  return { buckets: rows.slice(0, q.limit), truncated: rows.length > q.limit };
}
