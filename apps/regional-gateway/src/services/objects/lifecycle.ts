import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { s3Error } from "@s3gw/core";
import { bucketLifecycle, type LifecycleRule } from "@s3gw/schema-regional";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import { validateTags } from "./tags.ts";

export type { LifecycleRule };

export const MAX_LIFECYCLE_RULES = 1000;
const MAX_RULE_ID = 255;
/** S3 stores Days as a 32-bit integer. */
const MAX_DAYS = 2_147_483_647;

/**
 * Parts of S3's lifecycle language this gateway does not act on. Ignoring one silently would
 * change what a rule deletes (a size filter dropped widens it), so they are refused by name.
 */
const UNSUPPORTED_RULE_PARTS = ["Transition", "Transitions", "NoncurrentVersionTransition", "NoncurrentVersionTransitions"];
/** S3's bound on NewerNoncurrentVersions. */
const MAX_NEWER_NONCURRENT = 100;
const UNSUPPORTED_FILTER_PARTS = ["ObjectSizeGreaterThan", "ObjectSizeLessThan"];

const tag = z.strictObject({ Key: z.string(), Value: z.string() });
const days = z.string().regex(/^\d{1,12}$/);
const ruleSchema = z.strictObject({
  ID: z.string().optional(),
  Status: z.enum(["Enabled", "Disabled"]),
  Prefix: z.string().optional(),
  Filter: z
    .union([
      z.literal(""),
      z.strictObject({
        Prefix: z.string().optional(),
        Tag: tag.optional(),
        And: z.strictObject({ Prefix: z.string().optional(), Tag: z.union([tag, z.array(tag)]).optional() }).optional(),
      }),
    ])
    .optional(),
  Expiration: z.strictObject({ Days: days.optional(), Date: z.string().optional(), ExpiredObjectDeleteMarker: z.enum(["true", "false"]).optional() }).optional(),
  NoncurrentVersionExpiration: z.strictObject({ NoncurrentDays: days, NewerNoncurrentVersions: days.optional() }).optional(),
  AbortIncompleteMultipartUpload: z.strictObject({ DaysAfterInitiation: days }).optional(),
});
const configSchema = z.strictObject({ LifecycleConfiguration: z.strictObject({ Rule: z.union([z.unknown().array().min(1), z.record(z.string(), z.unknown())]) }) });

function unsupported(node: unknown, parts: string[], where: string): void {
  const found = typeof node === "object" && node !== null ? parts.find((p) => Object.hasOwn(node, p)) : undefined;
  if (found) throw s3Error("NotImplemented", `Lifecycle ${where} ${found} is not supported by this gateway (supported: Expiration Days, Date or ExpiredObjectDeleteMarker, NoncurrentVersionExpiration, AbortIncompleteMultipartUpload, Prefix and Tag filters)`);
}

/**
 * S3's `Date`: ISO 8601 at midnight UTC (`2017-09-27T00:00:00Z`, `…T00:00:00.000Z`, `+00:00`, or a
 * bare `2017-09-27`); any other instant is InvalidArgument, as S3 answers. Returned normalised.
 */
export function midnightDate(value: unknown, action: string): string {
  const text = typeof value === "string" ? value.trim() : "";
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  // Date.UTC rolls 2017-02-30 over to March: the fields must survive the round trip.
  if (!m || !date || date.getUTCFullYear() !== Number(m[1]) || date.getUTCMonth() !== Number(m[2]) - 1 || date.getUTCDate() !== Number(m[3])) {
    throw s3Error("InvalidArgument", `Invalid date in ${action}: it must be in ISO 8601 format`);
  }
  const atMidnight = m[4] === undefined || (m[4] === "00" && m[5] === "00" && m[6] === "00" && !/[1-9]/.test(m[7] ?? "") && (m[8] === "Z" || /^[+-]00:00$/.test(m[8]!)));
  if (!atMidnight) throw s3Error("InvalidArgument", `'Date' must be at midnight GMT in ${action}`);
  return date.toISOString();
}

function transitionDates(node: unknown): unknown[] {
  if (typeof node !== "object" || node === null) return [];
  const raw = node as Record<string, unknown>;
  return ["Transition", "Transitions"].flatMap((k) => [raw[k] ?? []].flat()).flatMap((t) => (typeof t === "object" && t !== null && Object.hasOwn(t, "Date") ? [(t as Record<string, unknown>).Date] : []));
}

function daysOf(value: string | undefined, action: string): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (n < 1 || n > MAX_DAYS) throw s3Error("InvalidArgument", `'Days' for ${action} action must be a positive integer`);
  return n;
}

/** The filter as a prefix and a set of tags, from `<Filter>` (one of Prefix, Tag, And) or the legacy top-level `<Prefix>`. */
type RuleFilter = Pick<LifecycleRule, "prefix" | "tags"> & { filterForm: NonNullable<LifecycleRule["filterForm"]> };

function filterOf(rule: z.infer<typeof ruleSchema>): RuleFilter {
  if ((rule.Filter === undefined) === (rule.Prefix === undefined)) throw s3Error("MalformedXML", "A Rule needs exactly one of Filter or Prefix");
  if (rule.Filter === undefined) return { prefix: rule.Prefix!, tags: {}, filterForm: "legacy" };
  const f = rule.Filter === "" ? {} : rule.Filter;
  if ([f.Prefix, f.Tag, f.And].filter((p) => p !== undefined).length > 1) throw s3Error("MalformedXML", "A Filter holds one of Prefix, Tag or And");
  if (f.And) {
    const tags = f.And.Tag === undefined ? [] : [f.And.Tag].flat();
    if (f.And.Prefix === undefined && tags.length === 0) throw s3Error("MalformedXML", "And needs a Prefix or Tags");
    if (new Set(tags.map((t) => t.Key)).size !== tags.length) throw s3Error("InvalidRequest", "Duplicate Tag Keys are not allowed");
    return { prefix: f.And.Prefix ?? "", tags: validateTags(tags.map((t) => [t.Key, t.Value])), filterForm: "and" };
  }
  if (f.Tag) return { prefix: "", tags: validateTags([[f.Tag.Key, f.Tag.Value]]), filterForm: "tag" };
  return f.Prefix === undefined ? { prefix: "", tags: {}, filterForm: "empty" } : { prefix: f.Prefix, tags: {}, filterForm: "prefix" };
}

function parseRule(node: unknown): LifecycleRule {
  // A malformed transition date is the caller's 400 even though transitions themselves are refused.
  transitionDates(node).forEach((d) => midnightDate(d, "Transition"));
  unsupported(node, UNSUPPORTED_RULE_PARTS, "action");
  const raw = node as Record<string, unknown>;
  unsupported(raw.Filter, UNSUPPORTED_FILTER_PARTS, "filter");
  unsupported((raw.Filter as Record<string, unknown> | undefined)?.And, UNSUPPORTED_FILTER_PARTS, "filter");
  const parsed = ruleSchema.safeParse(node);
  if (!parsed.success) throw s3Error("MalformedXML");
  const rule = parsed.data;
  const id = rule.ID || randomUUID();
  if (id.length > MAX_RULE_ID) throw s3Error("InvalidArgument", `ID length should not exceed allowed limit of ${MAX_RULE_ID}`);
  const { prefix, tags, filterForm } = filterOf(rule);
  const expirationDays = daysOf(rule.Expiration?.Days, "Expiration");
  const expirationDate = rule.Expiration?.Date === undefined ? null : midnightDate(rule.Expiration.Date, "Expiration");
  const abortDays = daysOf(rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation, "AbortIncompleteMultipartUpload");
  const versions = versionActionsOf(rule, tags);
  if (expirationDays === null && expirationDate === null && abortDays === null && versions.noncurrentDays === undefined && !versions.expiredObjectDeleteMarker) {
    throw s3Error("InvalidRequest", "At least one action needs to be specified in a rule");
  }
  if (abortDays !== null && Object.keys(tags).length > 0) {
    throw s3Error("InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags");
  }
  // Only a rule with a Date stores one, so rules without keep their earlier shape.
  return { id, enabled: rule.Status === "Enabled", prefix, tags, expirationDays, ...(expirationDate === null ? {} : { expirationDate }), abortIncompleteMultipartUploadDays: abortDays, ...versions, filterForm };
}

/**
 * The version actions: NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions
 * 1-100) and Expiration's ExpiredObjectDeleteMarker, which S3 allows neither beside Days in one
 * Expiration nor with a tag filter.
 */
function versionActionsOf(rule: z.infer<typeof ruleSchema>, tags: Record<string, string>): Pick<LifecycleRule, "noncurrentDays" | "newerNoncurrentVersions" | "expiredObjectDeleteMarker"> {
  const exp = rule.Expiration;
  if (exp && [exp.Days, exp.Date, exp.ExpiredObjectDeleteMarker].filter((v) => v !== undefined).length !== 1) throw s3Error("MalformedXML", "Expiration holds one of Days, Date or ExpiredObjectDeleteMarker");
  const expiredObjectDeleteMarker = exp?.ExpiredObjectDeleteMarker === "true";
  if (expiredObjectDeleteMarker && Object.keys(tags).length > 0) throw s3Error("InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with Tags");
  const nve = rule.NoncurrentVersionExpiration;
  const noncurrentDays = daysOf(nve?.NoncurrentDays, "NoncurrentVersionExpiration");
  const newer = nve?.NewerNoncurrentVersions === undefined ? null : Number(nve.NewerNoncurrentVersions);
  if (newer !== null && (newer < 1 || newer > MAX_NEWER_NONCURRENT)) throw s3Error("InvalidArgument", `NewerNoncurrentVersions must be between 1 and ${MAX_NEWER_NONCURRENT}`);
  // Only what a rule has is stored, so rules without version actions keep their earlier shape.
  return {
    ...(noncurrentDays === null ? {} : { noncurrentDays }),
    ...(newer === null ? {} : { newerNoncurrentVersions: newer }),
    ...(expiredObjectDeleteMarker ? { expiredObjectDeleteMarker } : {}),
  };
}

/**
 * A parsed `<LifecycleConfiguration>` document as rules, validated as S3 validates it. Prefixes
 * and tags must arrive exactly as sent (the caller undoes the XML parser's trimming): a trimmed
 * prefix would widen what a rule deletes.
 */
export function parseLifecycleConfiguration(doc: Record<string, unknown>): LifecycleRule[] {
  const { "?xml": _declaration, ...root } = doc;
  const config = configSchema.safeParse(root);
  if (!config.success) throw s3Error("MalformedXML");
  const nodes = [config.data.LifecycleConfiguration.Rule].flat();
  if (nodes.length > MAX_LIFECYCLE_RULES) throw s3Error("InvalidRequest", `A lifecycle configuration holds at most ${MAX_LIFECYCLE_RULES} rules`);
  const rules = nodes.map(parseRule);
  if (new Set(rules.map((r) => r.id)).size !== rules.length) throw s3Error("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule");
  return rules;
}

/**
 * The bucket's rules, through this instance's cache: PUT and HEAD read them for every answer.
 * Kept current by migration 0011's notifications, and at once for changes made here.
 */
export async function getLifecycle(deps: Pick<Deps, "db" | "cache">, bucket: Bucket): Promise<LifecycleRule[] | undefined> {
  const cached = await deps.cache.lifecycles.get(bucket.bucketId, async () => {
    const [row] = await deps.db.select({ rules: bucketLifecycle.rules }).from(bucketLifecycle).where(eq(bucketLifecycle.bucketId, bucket.bucketId)).limit(1);
    return row ? { rules: row.rules } : {};
  });
  return cached?.rules;
}

/** Replaces the bucket's whole configuration, as S3's PUT does. */
export async function putLifecycle(deps: Pick<Deps, "db" | "cache">, bucket: Bucket, rules: LifecycleRule[], now: Date): Promise<void> {
  await deps.db
    .insert(bucketLifecycle)
    .values({ bucketId: bucket.bucketId, rules, updatedAt: now })
    .onConflictDoUpdate({ target: bucketLifecycle.bucketId, set: { rules, updatedAt: now } });
  deps.cache.lifecycles.invalidate(bucket.bucketId);
}

export async function deleteLifecycle(deps: Pick<Deps, "db" | "cache">, bucket: Bucket): Promise<boolean> {
  const removed = await deps.db.delete(bucketLifecycle).where(eq(bucketLifecycle.bucketId, bucket.bucketId)).returning({ id: bucketLifecycle.bucketId });
  deps.cache.lifecycles.invalidate(bucket.bucketId);
  return removed.length > 0;
}
