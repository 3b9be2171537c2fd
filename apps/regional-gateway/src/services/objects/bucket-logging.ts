import { and, eq, sql } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { bucketLogDeliveries, bucketSettings, buckets, operationsLog } from "@s3gw/schema-regional";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import { deleteBucketSetting, readBucketSetting, writeBucketSetting } from "./bucket-settings.ts";

export const LOGGING_KIND = "logging";

/** How log object keys are formed: `[prefix]YYYY-mm-DD-HH-MM-SS-id`, or partitioned by owner, region, bucket and date. */
export type LogKeyFormat = { kind: "simple" } | { kind: "partitioned"; dateSource: "EventTime" | "DeliveryTime" };

/** A bucket's server access logging, as stored: the target is named, the target's id pins it to the bucket it was when configured. */
export const loggingDocumentSchema = z.strictObject({
  targetBucket: z.string(),
  targetBucketId: z.uuid(),
  targetPrefix: z.string(),
  keyFormat: z.union([
    z.strictObject({ kind: z.literal("simple") }),
    z.strictObject({ kind: z.literal("partitioned"), dateSource: z.enum(["EventTime", "DeliveryTime"]) }),
  ]),
});
export type LoggingDocument = z.infer<typeof loggingDocumentSchema>;

/** What a PutBucketLogging asks for (validated shape), before the target is looked up. */
export interface LoggingRequest { targetBucket: string; targetPrefix: string; keyFormat: LogKeyFormat }

export async function getBucketLogging(deps: Deps, bucket: Bucket): Promise<LoggingDocument | undefined> {
  const stored = await readBucketSetting(deps, bucket, LOGGING_KIND);
  // Written only by putBucketLogging; a document that does not parse is damage, not input.
  return stored === null ? undefined : loggingDocumentSchema.parse(stored);
}

/**
 * Turns logging on (or off, with `request` undefined). The target must be another bucket of
 * the same customer in this region (names are per customer, so another customer's bucket is
 * never found: it reads as missing, 400 InvalidTargetBucketForLogging, as AWS answers a target
 * that is not the caller's), and a bucket that does not itself deliver logs (no chains or
 * loops). The bucket itself as its own target is RGW's and the suite's 400 InvalidArgument.
 */
export async function putBucketLogging(deps: Deps, bucket: Bucket, request: LoggingRequest | undefined): Promise<LoggingDocument | undefined> {
  if (!request) {
    await deleteBucketSetting(deps, bucket, LOGGING_KIND);
    // Turned on again later, logging starts from then: the requests made meanwhile are not logged.
    await deps.db.delete(bucketLogDeliveries).where(eq(bucketLogDeliveries.bucketId, bucket.bucketId));
    return undefined;
  }
  if (request.targetBucket === bucket.bucketName) throw s3Error("InvalidArgument", "The target bucket for logging cannot be the source bucket", { resource: "TargetBucket" });
  const [target] = await deps.db.select().from(buckets)
    .where(and(eq(buckets.customerId, bucket.customerId), eq(buckets.bucketName, request.targetBucket), eq(buckets.regionId, bucket.regionId))).limit(1);
  if (!target) throw s3Error("InvalidTargetBucketForLogging", "The target bucket for logging does not exist or is not owned by you", { resource: "TargetBucket" });
  const [chained] = await deps.db.select({ kind: bucketSettings.kind }).from(bucketSettings)
    .where(and(eq(bucketSettings.bucketId, target.bucketId), eq(bucketSettings.kind, LOGGING_KIND))).limit(1);
  if (chained) throw s3Error("InvalidArgument", "The target bucket for logging has logging enabled itself", { resource: "TargetBucket" });
  const [isTarget] = await deps.db.select({ kind: bucketSettings.kind }).from(bucketSettings)
    .where(and(eq(bucketSettings.kind, LOGGING_KIND), sql`${bucketSettings.document}->>'targetBucketId' = ${bucket.bucketId}`)).limit(1);
  if (isTarget) throw s3Error("InvalidArgument", "This bucket receives another bucket's access logs and cannot deliver logs itself", { resource: "TargetBucket" });
  const document: LoggingDocument = { targetBucket: target.bucketName, targetBucketId: target.bucketId, targetPrefix: request.targetPrefix, keyFormat: request.keyFormat };
  // Logged from now on (a change of target keeps the cursor: what is not delivered yet goes to the new target).
  const [head] = await deps.db.select({ id: sql<number | null>`max(${operationsLog.id})` }).from(operationsLog);
  await deps.db.insert(bucketLogDeliveries).values({ bucketId: bucket.bucketId, deliveredThrough: Number(head?.id ?? 0), updatedAt: deps.clock.now() }).onConflictDoNothing();
  await writeBucketSetting(deps, bucket, LOGGING_KIND, document);
  return document;
}
