import { isS3EventPattern, NOTIFICATION_RULE_SOURCES, type BucketNotificationConfig } from "@s3gw/core";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import type { Bucket } from "../objects/buckets.ts";
import { deleteBucketSetting, readBucketSetting, writeBucketSetting } from "../objects/bucket-settings.ts";

/** The bucket_settings kind of a bucket's notification configuration. */
export const NOTIFICATION_KIND = "notification";

/** AWS's limit on a configuration's entries is not documented as a number; 100 keeps one bucket's fan-out bounded. */
export const MAX_NOTIFICATION_RULES = 100;

/** The stored shape: what the S3 edge validated, read back through the same bounds. */
const storedConfig = z.object({
  rules: z
    .array(
      z.object({
        id: z.string().min(1).max(255),
        source: z.enum(NOTIFICATION_RULE_SOURCES).optional(),
        targetId: z.string().regex(/^tgt_[0-9a-f]{24}$/),
        events: z.array(z.string().refine(isS3EventPattern)).min(1),
        prefix: z.string().max(1024).optional(),
        suffix: z.string().max(1024).optional(),
      }),
    )
    .min(1)
    .max(MAX_NOTIFICATION_RULES),
});

type SettingsDeps = Pick<Deps, "db" | "cache" | "clock">;

/**
 * The bucket's notification configuration, or null when it has none. Every object write calls
 * this before its transaction, so it is one cached lookup (absence cached too) and no SQL while
 * cached; a change on any instance reaches this one through the bucket_settings notification.
 */
export async function readBucketNotifications(deps: SettingsDeps, bucket: Bucket): Promise<BucketNotificationConfig | null> {
  const doc = await readBucketSetting(deps, bucket, NOTIFICATION_KIND);
  return doc === null ? null : (storedConfig.parse(doc) as BucketNotificationConfig);
}

/** Stores the configuration; one without rules removes it, as S3's empty NotificationConfiguration does. */
export async function writeBucketNotifications(deps: SettingsDeps, bucket: Bucket, config: BucketNotificationConfig): Promise<void> {
  if (config.rules.length === 0) {
    await deleteBucketSetting(deps, bucket, NOTIFICATION_KIND);
    return;
  }
  await writeBucketSetting(deps, bucket, NOTIFICATION_KIND, storedConfig.parse(config));
}
