import { matchingRules, type BucketNotificationConfig, type S3EventName } from "@s3gw/core";
import type { Deps, RegionalTx } from "../../env.ts";
import type { Bucket } from "../objects/buckets.ts";
import { NULL_VERSION } from "../objects/versions.ts";
import { insertObjectEvent } from "./outbox.ts";
import { readBucketNotifications } from "./bucket-notifications.ts";

/** Who caused an object event and from where: S3's `userIdentity`, `sourceIPAddress` and request id. */
export interface EventOrigin { requestId: string; principalId: string | null; sourceIp: string | null }

/** The origin of changes the gateway makes itself (lifecycle expiration, commands). */
export const systemOrigin = (principalId: string, requestId: string): EventOrigin => ({ requestId, principalId, sourceIp: null });

/**
 * What a change needs to write its object event inside its own transaction: the bucket's
 * notification configuration (read through the cache before the transaction) and the origin.
 * Absent when the bucket has no configuration, so a bucket without notifications pays one
 * cached lookup and no SQL.
 */
export interface ObjectEventContext { bucket: Bucket; config: BucketNotificationConfig; origin: EventOrigin }

export async function objectEventContext(deps: Pick<Deps, "db" | "cache" | "clock">, bucket: Bucket, origin: EventOrigin | undefined): Promise<ObjectEventContext | undefined> {
  if (!origin) return undefined;
  const config = await readBucketNotifications(deps, bucket);
  return config && config.rules.length > 0 ? { bucket, config, origin } : undefined;
}

/** What the event says of the object: S3 sends size and eTag for creations, the version id where there are versions. */
export interface ObjectFacts { key: string; size?: number; etag?: string; partsCount?: number | null; versionId?: string | undefined }

/**
 * Writes the event in the change's transaction when a rule of the bucket matches it. A bucket
 * never versioned has only `null` versions, and S3 sends no versionId for those.
 */
export async function recordObjectEvent(tx: RegionalTx, ctx: ObjectEventContext | undefined, name: S3EventName, facts: ObjectFacts, now: Date): Promise<void> {
  if (!ctx) return;
  const rules = matchingRules(ctx.config, name, facts.key);
  if (rules.length === 0) return;
  const { bucket, origin } = ctx;
  const etag = facts.etag === undefined ? undefined : facts.partsCount ? `${facts.etag}-${facts.partsCount}` : facts.etag;
  await insertObjectEvent(tx, {
    customerId: bucket.customerId,
    bucketId: bucket.bucketId,
    key: facts.key,
    eventName: name,
    targetIds: rules.map((r) => r.targetId),
    payload: {
      bucket: bucket.bucketName,
      key: facts.key,
      ...(facts.size !== undefined ? { size: facts.size } : {}),
      ...(etag !== undefined ? { eTag: etag } : {}),
      ...(facts.versionId !== undefined && facts.versionId !== NULL_VERSION ? { versionId: facts.versionId } : {}),
      principalId: origin.principalId,
      sourceIp: origin.sourceIp,
      requestId: origin.requestId,
      configurationIds: Object.fromEntries(rules.map((r) => [r.targetId, r.id])),
    },
    now,
  });
}
