import { eventTargetDecision, isS3EventPattern, NOTIFICATION_RULE_SOURCES, s3Error, TARGET_ID_RE, targetIdOfArn, type BucketNotificationConfig, type NotificationRule } from "@s3gw/core";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import type { Customer } from "../access/customers.ts";
import type { Bucket } from "../objects/buckets.ts";
import { deleteBucketSetting, readBucketSetting, writeBucketSetting } from "../objects/bucket-settings.ts";
import { findLiveTargets } from "./targets.ts";

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
        targetId: z.string().regex(TARGET_ID_RE),
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

/** A rule as `PUT ?notification` states it: the target named by its ARN, not yet resolved. */
export type NotificationRuleDraft = Omit<NotificationRule, "targetId"> & { arn: string };

/**
 * Resolves each rule's ARN to a live target of this region that the bucket owner's residency
 * allows, and stores the configuration (none removes it). Every destination that fails is
 * named in one InvalidArgument, as S3's "Unable to validate the following destination
 * configurations". The dispatcher applies the residency rule again on every event.
 */
export async function configureBucketNotifications(
  deps: SettingsDeps & Pick<Deps, "config">,
  input: { bucket: Bucket; customer: Pick<Customer, "country" | "dataResidencyRequirement">; drafts: NotificationRuleDraft[] },
): Promise<BucketNotificationConfig> {
  const regionId = deps.config.region.region_id;
  const ids = input.drafts.map((d) => targetIdOfArn(d.arn, regionId));
  const live = await findLiveTargets(deps, [...new Set(ids.filter((id): id is string => id !== undefined))]);
  const problems: string[] = [];
  const rules: NotificationRule[] = input.drafts.map(({ arn, ...rest }, i) => {
    const targetId = ids[i];
    const target = targetId === undefined ? undefined : live.get(targetId);
    if (!target) problems.push(`${arn}: not a notification target of region ${regionId}`);
    else {
      const decision = eventTargetDecision({ requirement: input.customer.dataResidencyRequirement, country: input.customer.country }, target.country);
      if (!decision.allowed) problems.push(`${arn}: ${decision.reason}`);
    }
    return { ...rest, targetId: targetId ?? "" };
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join("; ") + (problems.length > 10 ? `; and ${problems.length - 10} more` : "");
    throw s3Error("InvalidArgument", `Unable to validate the following destination configurations: ${shown}`);
  }
  const config = { rules };
  await writeBucketNotifications(deps, input.bucket, config);
  return config;
}
