import { eq } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { bucketSettings, buckets } from "@s3gw/schema-regional";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { bucketCacheKey, bucketSettingCacheKey } from "../cache/regional-cache.ts";
import { readBucketSetting } from "./bucket-settings.ts";
import type { Bucket } from "./buckets.ts";
import type { Retention, RetentionMode } from "./object-lock.ts";

/** The `bucket_settings` kind of a bucket's ObjectLockConfiguration. */
export const OBJECT_LOCK_KIND = "object-lock";

/** The stored document: the default retention new versions get when a write names none. */
export const defaultRule = z.object({
  mode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
  days: z.number().int().positive().max(36_500).optional(),
  years: z.number().int().positive().max(100).optional(),
}).refine((r) => (r.days === undefined) !== (r.years === undefined));
export const lockDocument = z.object({ rule: defaultRule.nullable() });
export type LockDocument = z.infer<typeof lockDocument>;
export type DefaultRule = z.infer<typeof defaultRule>;

/** Why a bucket refuses object lock settings on its objects: S3's InvalidRequest. */
export function assertLockEnabled(bucket: Pick<Bucket, "objectLockEnabled" | "bucketName">): void {
  if (!bucket.objectLockEnabled) throw s3Error("InvalidRequest", "Bucket is missing Object Lock Configuration", { resource: bucket.bucketName });
}

type ConfigDeps = Pick<Deps, "db" | "cache" | "clock">;

/** The bucket's configuration (through the instance's bucket-settings cache), or S3's 404 for a bucket without object lock. */
export async function readLockConfiguration(deps: ConfigDeps, bucket: Bucket): Promise<LockDocument> {
  if (!bucket.objectLockEnabled) throw s3Error("ObjectLockConfigurationNotFoundError", undefined, { resource: bucket.bucketName });
  const parsed = lockDocument.safeParse(await readBucketSetting(deps, bucket, OBJECT_LOCK_KIND));
  // A document that no longer validates (edited by hand) grants no default rather than failing every write.
  return parsed.success ? parsed.data : { rule: null };
}

/**
 * PutObjectLockConfiguration. A bucket created without object lock may turn it on only while
 * its versioning is Enabled (it can never be suspended after); otherwise S3's 409
 * InvalidBucketState. Object lock, once on, cannot be turned off: the document only sets or
 * clears the default rule.
 */
export async function writeLockConfiguration(deps: ConfigDeps, bucket: Bucket, doc: LockDocument): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [row] = await tx.select({ versioning: buckets.versioning, objectLockEnabled: buckets.objectLockEnabled }).from(buckets)
      .where(eq(buckets.bucketId, bucket.bucketId)).for("update");
    if (!row) throw s3Error("NoSuchBucket", undefined, { resource: bucket.bucketName });
    if (!row.objectLockEnabled) {
      if (row.versioning !== "Enabled") throw s3Error("InvalidBucketState", "Object Lock configuration cannot be enabled on a bucket without versioning enabled", { resource: bucket.bucketName });
      await tx.update(buckets).set({ objectLockEnabled: true }).where(eq(buckets.bucketId, bucket.bucketId));
    }
    const now = deps.clock.now();
    await tx.insert(bucketSettings)
      .values({ bucketId: bucket.bucketId, customerId: bucket.customerId, kind: OBJECT_LOCK_KIND, document: doc, updatedAt: now })
      .onConflictDoUpdate({ target: [bucketSettings.bucketId, bucketSettings.kind], set: { document: doc, updatedAt: now } });
    // Both in one transaction (lock on, and its rule); this instance forgets both entries at once, others on the notifications.
    deps.cache?.buckets.invalidate(bucketCacheKey(bucket.customerId, bucket.bucketName));
    deps.cache?.bucketSettings.invalidate(bucketSettingCacheKey(bucket.customerId, bucket.bucketId, OBJECT_LOCK_KIND));
  });
}

/** The retention a default rule gives a version written at `now` (S3 counts days of 24 hours, years of 365 days). */
export function defaultRetention(rule: DefaultRule, now: Date): Retention {
  const days = rule.days ?? rule.years! * 365;
  return { mode: rule.mode as RetentionMode, until: new Date(now.getTime() + days * 86_400_000) };
}

/** The lock a write asks for in its `x-amz-object-lock-*` headers (each part optional). */
export interface RequestedLock { retention?: Retention; legalHold?: boolean }
/** A new version's lock columns. */
export interface VersionLock { retentionMode: RetentionMode | null; retentionUntil: Date | null; legalHold: boolean }

/**
 * The lock a new version gets: what the write asked for, else the bucket's default retention.
 * Asking for any lock in a bucket without object lock is S3's 400 InvalidRequest (it would
 * leave an object behind that nobody could delete in a bucket that does not support locks).
 */
export async function resolveVersionLock(deps: ConfigDeps, bucket: Bucket, requested: RequestedLock, now: Date): Promise<VersionLock | undefined> {
  const asks = requested.retention !== undefined || requested.legalHold !== undefined;
  if (!bucket.objectLockEnabled) {
    if (asks) assertLockEnabled(bucket);
    return undefined;
  }
  const retention = requested.retention ?? (await defaultFor(deps, bucket, now));
  return { retentionMode: retention?.mode ?? null, retentionUntil: retention?.until ?? null, legalHold: requested.legalHold ?? false };
}

async function defaultFor(deps: ConfigDeps, bucket: Bucket, now: Date): Promise<Retention | undefined> {
  const { rule } = await readLockConfiguration(deps, bucket);
  return rule ? defaultRetention(rule, now) : undefined;
}
