import { eventMatches } from "./names.ts";

/** The XML element a rule came from, so `GET ?notification` renders what `PUT` stored. */
export const NOTIFICATION_RULE_SOURCES = ["topic", "queue", "function"] as const;
export type NotificationRuleSource = (typeof NOTIFICATION_RULE_SOURCES)[number];

/**
 * A bucket's notification configuration in the gateway's own validated shape (what
 * `PUT ?notification` stores; the XML is parsed and rendered at the S3 edge). Each rule sends
 * the matching events of keys with the prefix and suffix to one target.
 */
export interface NotificationRule {
  /** S3's `Id` of the configuration entry, sent as `s3.configurationId`. */
  id: string;
  /** TopicConfiguration, QueueConfiguration or CloudFunctionConfiguration; absent reads as topic. */
  source?: NotificationRuleSource;
  targetId: string;
  /** `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`, ... (validated by isS3EventPattern). */
  events: string[];
  prefix?: string;
  suffix?: string;
}

export interface BucketNotificationConfig { rules: NotificationRule[] }

/** Keys are literal: prefix and suffix compare bytes of the key as stored, case included. */
export function ruleMatches(rule: NotificationRule, eventName: string, key: string): boolean {
  if (rule.prefix !== undefined && !key.startsWith(rule.prefix)) return false;
  if (rule.suffix !== undefined && !key.endsWith(rule.suffix)) return false;
  return rule.events.some((p) => eventMatches(p, eventName));
}

/** The rules an event of `key` matches, at most one per target (a target gets an event once). */
export function matchingRules(config: BucketNotificationConfig | null | undefined, eventName: string, key: string): NotificationRule[] {
  if (!config) return [];
  const byTarget = new Map<string, NotificationRule>();
  for (const rule of config.rules) {
    if (!byTarget.has(rule.targetId) && ruleMatches(rule, eventName, key)) byTarget.set(rule.targetId, rule);
  }
  return [...byTarget.values()];
}

/** A notification target's id: `tgt_` and 24 lowercase hex characters. */
export const TARGET_ID_RE = /^tgt_[0-9a-f]{24}$/;

/** The ARN a bucket's configuration names a target by: `arn:s3gw:events:<region id>::<target id>`. */
export function eventTargetArn(regionId: string, targetId: string): string {
  return `arn:s3gw:events:${regionId}::${targetId}`;
}

/** The target id an ARN names, when it is a well-formed target ARN of `regionId`; anything else is undefined. */
export function targetIdOfArn(arn: string, regionId: string): string | undefined {
  const prefix = `arn:s3gw:events:${regionId}::`;
  if (!arn.startsWith(prefix)) return undefined;
  const id = arn.slice(prefix.length);
  return TARGET_ID_RE.test(id) ? id : undefined;
}
